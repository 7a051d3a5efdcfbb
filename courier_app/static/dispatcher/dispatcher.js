// Dispatcher live map: couriers and their routes, deliveries with late / at-risk alerts,
// manual assignment with a reason, the plan's objective and why a delivery went where it did.
import { initI18n, t, onLangChange } from "/static/common/i18n.js";
import { makeApi, $, el } from "/static/common/api.js";
import { setCoop, time, number } from "/static/common/fmt.js";
import { LiveSocket } from "/static/common/socket.js";
import { createMap } from "/static/common/map.js";

const api = makeApi("cd.dispatcher.token");
const STALE_MS = 2 * 60 * 1000;
const RISK_MS = 10 * 60 * 1000;
const OPEN = new Set(["pending", "assigned", "picked_up"]);
const state = { deliveries: new Map(), couriers: new Map(), plan: null, names: {}, selected: null, socket: null, map: null };
let layers = null;
let reloadTimer = null;

initI18n($("#lang"));
onLangChange(() => renderAll());

function alertOf(d, now = Date.now()) {
  if (!OPEN.has(d.status)) return null;
  const end = d.dropoff_window && d.dropoff_window.end ? Date.parse(d.dropoff_window.end) : null;
  if (end === null) return null;
  if (now > end) return "late";
  const drop = (d.stops || []).find((s) => s.kind === "dropoff");
  if (drop && drop.eta && Date.parse(drop.eta) > end) return "risk";
  if (d.status === "pending" && end - now < RISK_MS) return "risk";
  return null;
}

// the server's threshold (dispatch/domain/presence.py): the planner gives a greyed courier nothing new
function isStale(c) { return !c.position || !c.position.at || Date.now() - Date.parse(c.position.at) > (c.quiet_after_s ? c.quiet_after_s * 1000 : STALE_MS); }
function courierName(id) { return (state.couriers.get(id) || {}).first_name || state.names[id] || (id ? id.slice(0, 6) : "–"); }

// ---- loading and live updates
async function loadAll() {
  const [couriers, deliveries, plan] = await Promise.all([
    api.get("/api/v1/dispatch/couriers"), api.get("/api/v1/dispatch/deliveries"), api.get("/api/v1/dispatch/plan")]);
  state.couriers = new Map(couriers.map((c) => [c.courier_id, c]));
  for (const d of deliveries) state.deliveries.set(d.id, d);
  for (const [id, d] of state.deliveries) if (OPEN.has(d.status) && !deliveries.some((x) => x.id === id)) state.deliveries.delete(id);
  state.names = plan.courier_names || {};
  if (plan.plan) state.plan = plan.plan;
  renderAll();
}

function scheduleReload(ms = 400) { clearTimeout(reloadTimer); reloadTimer = setTimeout(() => loadAll().catch(() => {}), ms); }

function mergeDelivery(data) {
  const old = state.deliveries.get(data.id) || {};
  if (old.version > data.version) return;
  const merged = { ...old, ...data, stops: data.stops || old.stops };
  if (data.dropoff && data.dropoff.address == null && old.dropoff) merged.dropoff = old.dropoff;
  delete merged.event;
  state.deliveries.set(data.id, merged);
}

function applyRoute(data) {
  const byStop = new Map(data.stops.map((s) => [s.stop_id, s]));
  for (const d of state.deliveries.values()) {
    for (const s of d.stops || []) {
      const hit = byStop.get(s.id);
      if (hit) Object.assign(s, { courier_id: data.courier_id, position: hit.position, eta: hit.eta });
      else if (s.courier_id === data.courier_id && !s.done_at) s.position = null;
    }
  }
}

function onFrame(f) {
  const d = f.data || {};
  if (f.type === "resync") { scheduleReload(0); return; }
  if (f.type.startsWith("delivery.") && d.id) { mergeDelivery(d); scheduleReload(); }
  else if (f.type === "route.updated") applyRoute(d);
  else if (f.type === "courier.positions" || f.type === "courier.position") {
    for (const p of d.positions || [d]) {
      const c = state.couriers.get(p.courier_id);
      if (c) c.position = { lat: p.lat, lon: p.lon, at: p.at };
    }
  } else if (f.type === "plan.updated") state.plan = { ...d, created_at: new Date().toISOString() };
  else if (f.type.startsWith("shift.")) scheduleReload(0);
  renderAll();
}

// ---- drawing
function renderAll() {
  renderObjective();
  renderList();
  renderCouriers();
  renderSelected();
  drawMap();
}

function renderObjective() {
  const p = state.plan;
  if (!p) { $("#objective").textContent = t("dispatcher.noPlan"); return; }
  const o = p.objective || {};
  $("#objective").textContent = `${t("dispatcher.plan")} (${p.policy}): ${t("dispatcher.lateness")} ${number((o.lateness_s || 0) / 60, 0)} min · `
    + `${t("dispatcher.travel")} ${number((o.travel_s || 0) / 60, 0)} min · ${t("dispatcher.unassignedN")} ${Object.keys(p.unassigned || {}).length}`
    + Object.entries(o.couriers_left_out || {}).map(([id, why]) => ` · ${t("dispatcher.leftOut", { name: courierName(id) })} ${why}`).join("");
}

function visible(d) {
  const f = $("#filter").value, q = $("#search").value.trim().toLowerCase();
  if (f === "open" && !OPEN.has(d.status)) return false;
  if (f === "pending" && d.status !== "pending") return false;
  if (f === "alert" && !alertOf(d)) return false;
  if (q && !`${d.id} ${d.pickup.address} ${d.dropoff.address || ""} ${courierName(d.courier_id)} ${d.status}`.toLowerCase().includes(q)) return false;
  return true;
}

function renderList() {
  const rows = [...state.deliveries.values()].filter(visible).sort((a, b) => (a.created_at || "").localeCompare(b.created_at || ""));
  $("#deliveries").replaceChildren(...rows.map((d) => {
    const a = alertOf(d);
    return el("li", { class: d.id === state.selected ? "selected" : "", dataset: { id: d.id, status: d.status }, onclick: () => select(d.id) },
      el("span", { class: `badge ${d.status}`, text: t(`status.${d.status}`) }), " ",
      a ? el("span", { class: `badge ${a}`, text: t(`dispatcher.${a}`) }) : null, " ",
      `${d.pickup.address || ""} → ${d.dropoff.address || ""} · ${t("dispatcher.by")} ${time(d.dropoff_window.end)}`,
      d.courier_id ? ` · ${courierName(d.courier_id)}` : "");
  }));
}

function renderCouriers() {
  const list = [...state.couriers.values()];
  $("#couriers").replaceChildren(...list.map((c) => el("li", { class: isStale(c) ? "stale" : "", dataset: { courierId: c.courier_id } },
    `${c.first_name} · ${t(`vehicle.${c.vehicle_kind}`)} · ${t("dispatcher.seen")} ${time(c.position && c.position.at)}`)));
  const sel = $("#courier-select");
  const keep = sel.value;
  sel.replaceChildren(...list.map((c) => el("option", { value: c.courier_id, text: c.first_name })));
  if (keep && state.couriers.has(keep)) sel.value = keep;
}

function renderSelected() {
  const d = state.deliveries.get(state.selected);
  $("#assign").disabled = !d || !["pending", "assigned"].includes(d.status);
  $("#unassign").disabled = !d || d.status !== "assigned";
  if (!d) return;
  $("#selected").textContent = `${t(`status.${d.status}`)} · ${d.pickup.address || ""} → ${d.dropoff.address || ""} · `
    + `${t("dispatcher.window")} ${time(d.dropoff_window.start)}–${time(d.dropoff_window.end)}${d.courier_id ? ` · ${courierName(d.courier_id)}` : ""}`;
  $("#why").textContent = explain(d);
}

function explain(d) {
  const p = state.plan;
  if (!p) return "";
  if (p.unassigned && p.unassigned[d.id]) return `${t("dispatcher.whyUnassigned")} ${p.unassigned[d.id]}`;
  const e = p.explanations && p.explanations[d.id];
  if (!e) return d.pinned ? t("dispatcher.pinned") : "";
  const alt = e.alternative ? t("dispatcher.alternative", { name: courierName(e.alternative), cost: number(e.delta_cost || 0, 0) }) : t("dispatcher.noAlternative");
  return `${t("dispatcher.why", { name: courierName(e.courier_id) })} ${alt}${e.detail ? ` (${e.detail})` : ""}`;
}

function select(id) {
  state.selected = id;
  const d = state.deliveries.get(id);
  if (d && d.courier_id) $("#courier-select").value = d.courier_id;
  renderAll();
}

function drawMap() {
  if (!state.map) return;
  const { L, map } = state.map;
  if (layers) layers.remove();
  layers = L.layerGroup().addTo(map);
  for (const c of state.couriers.values()) {
    if (!c.position || c.position.lat == null) continue;
    const stale = isStale(c);
    const at = [c.position.lat, c.position.lon];
    const stops = [...state.deliveries.values()].filter((d) => OPEN.has(d.status))
      .flatMap((d) => (d.stops || []).filter((s) => s.courier_id === c.courier_id && !s.done_at).map((s) => ({ s, d })))
      .sort((a, b) => (a.s.position ?? 99) - (b.s.position ?? 99));
    if (stops.length) {
      const pts = stops.map(({ s, d }) => (s.kind === "pickup" ? [d.pickup.lat, d.pickup.lon] : [d.dropoff.lat, d.dropoff.lon]));
      L.polyline([at, ...pts], { className: "route", color: stale ? "#999" : "#1c5fb8", weight: 3, opacity: 0.8, dashArray: "6 6" }).addTo(layers);
    }
    L.circleMarker(at, { className: `courier${stale ? " stale" : ""}`, radius: 9, color: stale ? "#888" : "#1c5fb8", fillColor: stale ? "#bbb" : "#1c5fb8", fillOpacity: 1 })
      .bindTooltip(c.first_name, { permanent: true, direction: "right", offset: [10, 0], className: `courier-label${stale ? " stale" : ""}` }).addTo(layers);
  }
  for (const d of state.deliveries.values()) {
    if (!OPEN.has(d.status)) continue;
    const a = alertOf(d);
    const color = a === "late" ? "#b3261e" : a === "risk" ? "#e08a00" : d.status === "pending" ? "#7a4a00" : "#1f7a4d";
    const pt = d.status === "pending" ? [d.pickup.lat, d.pickup.lon] : [d.dropoff.lat, d.dropoff.lon];
    L.circleMarker(pt, { className: `delivery ${d.status}${a ? ` ${a}` : ""}`, radius: d.id === state.selected ? 11 : 7, color,
      weight: d.id === state.selected ? 4 : 2, fillColor: d.status === "pending" ? "#ffb74d" : "#fff", fillOpacity: 0.95 })
      .on("click", () => select(d.id)).bindTooltip(`${t(`status.${d.status}`)} · ${time(d.dropoff_window.end)}`).addTo(layers);
  }
}

// ---- actions
async function manual(kind) {
  $("#assign-error").textContent = "";
  const d = state.deliveries.get(state.selected);
  const reason = $("#reason").value.trim();
  if (!d) return;
  if (!reason) { $("#assign-error").textContent = t("dispatcher.needReason"); $("#reason").focus(); return; }
  const body = kind === "assign" ? { courier_id: $("#courier-select").value, reason, version: d.version } : { reason, version: d.version };
  try {
    mergeDelivery(await api.post(`/api/v1/dispatch/deliveries/${d.id}/${kind}`, body));
    $("#reason").value = "";
    renderAll();
    scheduleReload(200);
  } catch (e) { $("#assign-error").textContent = e.message; scheduleReload(0); }
}
$("#assign").addEventListener("click", () => manual("assign"));
$("#unassign").addEventListener("click", () => manual("unassign"));
$("#filter").addEventListener("change", renderList);
$("#search").addEventListener("input", renderList);

async function enter() {
  try {
    const p = await api.get("/api/v1/web/profile");
    if (!["dispatcher", "admin"].includes(p.role)) throw new Error(t("dispatcher.notDispatcher"));
    setCoop(p.coop);
  } catch (e) {
    api.credential = null;
    $("#login").classList.remove("hidden");
    $("#login-error").textContent = e.status === 401 ? "" : e.message;
    document.body.dataset.ready = "1";
    return;
  }
  $("#login").classList.add("hidden");
  $("#app").classList.remove("hidden");
  $("#logout").classList.remove("hidden");
  await loadAll();
  state.socket = new LiveSocket("/ws/dispatcher", {
    credential: () => api.credential,
    seqKey: "cd.dispatcher.seq", onFrame,
    onState: (s) => { $("#ws-dot").className = `status-dot ${s}`; document.body.dataset.ws = s; if (s === "open") scheduleReload(0); },
  });
  state.socket.connect();
  document.body.dataset.ready = "1";
  state.map = await createMap($("#map"));
  drawMap();
  setInterval(renderAll, 15000); // greys couriers that went quiet, ages the alerts
}

$("#login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try { await api.login($("#email").value, $("#password").value); localStorage.removeItem("cd.dispatcher.seq"); enter(); }
  catch (e) { $("#login-error").textContent = e.message; }
});
$("#logout").addEventListener("click", async () => { await api.logout(); location.reload(); });

if (api.credential) enter(); else { $("#login").classList.remove("hidden"); document.body.dataset.ready = "1"; }
