// Dispatcher live map: couriers and their routes, deliveries with late / at-risk alerts,
// manual assignment with a reason, the plan's objective and why a delivery went where it did.
import { initI18n, t, onLangChange, currentLang } from "/static/common/i18n.js";
import { makeApi, $, el } from "/static/common/api.js";
import { setCoop, time, number } from "/static/common/fmt.js";
import { LiveSocket } from "/static/common/socket.js";
import { createMap, setMarkers, setRoutes, legFeatures, point } from "/static/common/map.js";

const api = makeApi("cd.dispatcher.token");
const STALE_MS = 2 * 60 * 1000;
const RISK_MS = 10 * 60 * 1000;
const OPEN = new Set(["pending", "assigned", "picked_up"]);
const FINAL = new Set(["delivered", "failed"]);
const state = { deliveries: new Map(), couriers: new Map(), plan: null, names: {}, selected: null, socket: null, map: null };
const UNASSIGNED_ALERT_MS = 3 * 60 * 1000; // an order nobody has taken for this long rings
const COURIER_COLORS = { free: "#2e7d32", to_pickup: "#e08a00", carrying: "#1565c0", quiet: "#8d8d8d" };
let shapes = new Map(); // courier id -> legs along the streets
let shapesTimer = null;
let alerted = new Set();
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
  // a frame newer than this answer wins (else a delivery that just went final would come back as
  // open, then be dropped by the next load as no longer open)
  for (const d of deliveries) if (!(state.deliveries.get(d.id)?.version > d.version)) state.deliveries.set(d.id, d);
  for (const [id, d] of state.deliveries) if (OPEN.has(d.status) && !deliveries.some((x) => x.id === id)) state.deliveries.delete(id);
  state.names = plan.courier_names || {};
  if (plan.plan) state.plan = plan.plan;
  renderAll();
  scheduleShapes();
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
  if (f.type.startsWith("delivery.") && d.id) {
    mergeDelivery(d); scheduleReload();
    if (d.id === state.selected) scheduleTimeline(d.id); // a manual assignment, a pickup: as it happens
  } else if (f.type === "route.updated") { applyRoute(d); scheduleShapes(); }
  else if (f.type === "courier.positions" || f.type === "courier.position") {
    for (const p of d.positions || [d]) {
      const c = state.couriers.get(p.courier_id);
      if (c) c.position = { lat: p.lat, lon: p.lon, at: p.at };
    }
    scheduleShapes(5000); // the ways start where the couriers are now
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
  renderCounts();
  renderAlert();
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

// Each row is a button (Tab reaches it, Enter or Space selects it); re-rendering keeps the
// keyboard focus on the same delivery.
function renderList() {
  const rows = [...state.deliveries.values()].filter(visible).sort((a, b) => (a.created_at || "").localeCompare(b.created_at || ""));
  const focused = document.activeElement && document.activeElement.closest("#deliveries li");
  const focusedId = focused ? focused.dataset.id : null;
  $("#deliveries").replaceChildren(...rows.map((d) => {
    const a = alertOf(d);
    return el("li", { class: d.id === state.selected ? "selected" : "", dataset: { id: d.id, status: d.status } },
      el("button", { type: "button", class: "pick", "aria-pressed": d.id === state.selected ? "true" : "false", onclick: () => select(d.id) },
        el("span", { class: `badge ${d.status}`, text: t(`status.${d.status}`) }), " ",
        a ? el("span", { class: `badge ${a}`, text: t(`dispatcher.${a}`) }) : null, " ",
        `${d.pickup.address || ""} → ${d.dropoff.address || ""} · ${t("dispatcher.by")} ${time(d.dropoff_window.end)}`,
        d.courier_id ? ` · ${courierName(d.courier_id)}` : ""));
  }));
  if (focusedId) { const again = $(`#deliveries li[data-id="${focusedId}"] button`); if (again) again.focus(); }
}

function renderCouriers() {
  const list = [...state.couriers.values()];
  $("#couriers").replaceChildren(...list.map((c) => el("li", { class: isStale(c) ? "stale" : "", dataset: { courierId: c.courier_id } },
    `${c.first_name} · ${t(`vehicle.${c.vehicle_kind}`)} · ${t("dispatcher.seen")} ${time(c.position && c.position.at)}${c.near ? ` · ${c.near}` : ""}`)));
  const sel = $("#courier-select");
  const keep = sel.value;
  sel.replaceChildren(...list.map((c) => el("option", { value: c.courier_id, text: c.first_name })));
  if (keep && state.couriers.has(keep)) sel.value = keep;
}

function renderSelected() {
  const d = state.deliveries.get(state.selected);
  $("#assign").disabled = !d || !["pending", "assigned"].includes(d.status);
  $("#unassign").disabled = !d || d.status !== "assigned";
  // a delivered or failed delivery takes no proof unless a dispatcher allows one more (with a reason)
  $("#allow-proof").classList.toggle("hidden", !d || !FINAL.has(d.status));
  if (!d) return;
  const drop = (d.stops || []).find((s) => s.kind === "dropoff");
  $("#selected").textContent = `${t(`status.${d.status}`)} · ${d.pickup.address || ""} → ${d.dropoff.address || ""} · `
    + `${t("dispatcher.window")} ${time(d.dropoff_window.start)}–${time(d.dropoff_window.end)}${d.courier_id ? ` · ${courierName(d.courier_id)}` : ""}`
    + (d.courier_id ? ` · ${t("dispatcher.eta")} ${time(drop && drop.eta)}` : "");
  $("#selected-notes").classList.toggle("hidden", !d.notes);
  $("#selected-notes").textContent = d.notes ? `${t("dispatcher.notes")} ${d.notes}` : "";
  $("#why").textContent = explain(d);
}

// The human decision, not the plan's, while a dispatcher's pin holds.
function explainManual(d) {
  const m = d.manual;
  return `${t("dispatcher.manual", { by: m.by || t("dispatcher.someone"), name: courierName(d.courier_id), at: time(m.at), reason: m.reason || "" })} `
    + t("dispatcher.manualKept");
}

// "<reason code>: <detail>" from the planner (routing.planning.problem.UnassignedReason): the code in
// words of the page's language; the planner's detail (English) only on an English page.
function unassignedText(text) {
  const [code, ...rest] = String(text).split(": ");
  const key = `dispatcher.unassigned.${code}`;
  if (t(key) === key) return text;
  return `${t(key)}${rest.length && currentLang() === "en" ? ` (${rest.join(": ")})` : ""}`;
}

function detailText(detail) {
  const key = `dispatcher.detail.${detail}`;
  return t(key) === key ? detail : t(key);
}

// The plan says how much worse the next best courier is in minutes of a customer's wait
// (delta_min, dispatch/planning.py); cost points themselves mean nothing to a person.
function alternativeText(e) {
  if (!e.alternative) return t("dispatcher.noAlternative");
  const name = courierName(e.alternative);
  if (e.delta_min == null) return t("dispatcher.alternativePlain", { name });
  return t("dispatcher.alternative", { name, cost: number(e.delta_min, e.delta_min < 10 ? 1 : 0) });
}

function explain(d) {
  if (d.pinned && d.manual && d.status === "assigned") return explainManual(d);
  const p = state.plan;
  if (!p) return "";
  if (p.unassigned && p.unassigned[d.id]) return `${t("dispatcher.whyUnassigned")} ${unassignedText(p.unassigned[d.id])}`;
  const e = p.explanations && p.explanations[d.id];
  if (!e) return d.pinned ? t("dispatcher.pinned") : "";
  const alt = alternativeText(e);
  return `${t("dispatcher.why", { name: courierName(e.courier_id) })} ${alt}${e.detail ? ` (${detailText(e.detail)})` : ""}`;
}

function select(id) {
  if (state.selected !== id) $("#allow-proof-note").textContent = "";
  state.selected = id;
  const d = state.deliveries.get(id);
  if (d && d.courier_id) $("#courier-select").value = d.courier_id;
  renderAll();
  renderTimeline(id);
}

// ---- the map: couriers coloured by state, pickups (P) and dropoffs (D), routes on the streets
function courierState(c) {
  if (isStale(c)) return "quiet";
  const mine = [...state.deliveries.values()].filter((d) => d.courier_id === c.courier_id && OPEN.has(d.status));
  if (mine.some((d) => d.status === "picked_up")) return "carrying";
  return mine.length ? "to_pickup" : "free";
}

function loadOf(c) {
  const on = [...state.deliveries.values()].filter((d) => d.courier_id === c.courier_id && d.status === "picked_up");
  return on.reduce((kg, d) => kg + ((d.load && d.load.kg) || 0), 0);
}

async function loadShapes() {
  try { shapes = new Map((await api.get("/api/v1/dispatch/routes")).map((r) => [r.courier_id, r.legs])); } catch { return; }
  drawMap();
}
function scheduleShapes(ms = 600) { clearTimeout(shapesTimer); shapesTimer = setTimeout(loadShapes, ms); }

function drawMap() {
  if (!state.map) return;
  const { map } = state.map;
  const lines = [];
  const couriers = [];
  for (const c of state.couriers.values()) {
    if (!c.position || c.position.lat == null) continue;
    const st = courierState(c);
    const color = COURIER_COLORS[st];
    const picked = state.pickedCourier === c.courier_id;
    lines.push(...legFeatures(shapes.get(c.courier_id), { color: picked ? "#6a1b9a" : color }));
    couriers.push(point(c.position.lon, c.position.lat, { id: c.courier_id, color, radius: picked ? 12 : 10, strokeWidth: 3,
      label: c.first_name, state: st }));
  }
  setRoutes(map, "routes", lines, { width: 4 });
  const marks = [];
  for (const d of state.deliveries.values()) {
    if (!OPEN.has(d.status)) continue;
    const a = alertOf(d);
    const stroke = a === "late" ? "#7f0000" : a === "risk" ? "#ff6f00" : "#ffffff";
    const sel = d.id === state.selected;
    if (d.status !== "picked_up") {
      marks.push(point(d.pickup.lon, d.pickup.lat, { id: d.id, glyph: "P", color: d.status === "pending" ? "#b26a00" : "#1f7a4d",
        stroke, strokeWidth: a || sel ? 4 : 2, radius: sel ? 12 : 9 }));
    }
    marks.push(point(d.dropoff.lon, d.dropoff.lat, { id: d.id, glyph: "D", color: "#b3261e", stroke, strokeWidth: a || sel ? 4 : 2, radius: sel ? 12 : 9 }));
  }
  setMarkers(map, "deliveries", marks, { cluster: true, labels: false, onClick: (f) => select(f.properties.id) });
  setMarkers(map, "couriers", couriers, { onClick: (f) => pickCourier(f.properties.id) });
}

function pickCourier(id) {
  state.pickedCourier = id;
  const c = state.couriers.get(id);
  if (!c || !state.map) return;
  const legs = shapes.get(id) || [];
  const km = legs.reduce((m, l) => m + l.distance_m, 0) / 1000;
  const cap = c.capacity_kg ? ` / ${number(c.capacity_kg, 0)} kg` : "";
  const html = document.createElement("div");
  html.className = "courier-pop";
  html.append(el("strong", { text: c.first_name }), el("div", { text: t(`dispatcher.state.${courierState(c)}`) }),
    el("div", { text: `${t("dispatcher.load")} ${number(loadOf(c), 1)} kg${cap}` }),
    el("div", { text: `${t("dispatcher.stopsLeft", { n: legs.length })} · ${number(km, 1)} km` }));
  if (state.popup) state.popup.remove();
  state.popup = new state.map.maplibregl.Popup({ closeButton: true, offset: 14 }).setLngLat([c.position.lon, c.position.lat])
    .setDOMContent(html).addTo(state.map.map);
  state.popup.on("close", () => { if (state.pickedCourier === id) { state.pickedCourier = null; drawMap(); } });
  drawMap();
}

// ---- beside the map: counts per status, and a visible and audible alert
function renderCounts() {
  const open = [...state.deliveries.values()].filter((d) => OPEN.has(d.status));
  const by = (st) => open.filter((d) => d.status === st).length;
  const cs = [...state.couriers.values()].map(courierState);
  const chip = (cls, label, n) => el("span", { class: `count ${cls}`, dataset: { count: cls } }, `${label} `, el("b", { text: String(n) }));
  $("#counts").replaceChildren(
    chip("pending", t("status.pending"), by("pending")), chip("assigned", t("status.assigned"), by("assigned")),
    chip("picked_up", t("status.picked_up"), by("picked_up")),
    ...Object.keys(COURIER_COLORS).map((k) => chip(`courier-${k}`, t(`dispatcher.state.${k}`), cs.filter((x) => x === k).length)));
}

function alerting(now = Date.now()) {
  return [...state.deliveries.values()].filter((d) => (d.status === "pending" && d.created_at && now - Date.parse(d.created_at) > UNASSIGNED_ALERT_MS)
    || alertOf(d, now) === "risk" || alertOf(d, now) === "late");
}

function renderAlert() {
  const list = alerting();
  const box = $("#alert");
  box.classList.toggle("hidden", !list.length);
  box.textContent = list.length ? t("dispatcher.alertN", { n: list.length }) : "";
  const fresh = list.filter((d) => !alerted.has(d.id));
  alerted = new Set(list.map((d) => d.id));
  if (fresh.length) { box.dataset.rang = String(Date.now()); chime(); }
}

function chime() {
  try {
    const ctx = new (window.AudioContext || window.webkitAudioContext)();
    for (const [i, f] of [660, 880].entries()) {
      const osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = f; gain.gain.value = 0.15;
      osc.connect(gain).connect(ctx.destination);
      osc.start(ctx.currentTime + i * 0.18); osc.stop(ctx.currentTime + i * 0.18 + 0.15);
    }
    setTimeout(() => ctx.close(), 800);
  } catch { /* no audio: the banner still shows */ }
}

// ---- a delivery's timeline: each event with its actor and time
let timelineTimer = null;
function scheduleTimeline(id) { clearTimeout(timelineTimer); timelineTimer = setTimeout(() => renderTimeline(id), 150); }
async function renderTimeline(id) {
  const list = $("#timeline");
  if (!id) { list.replaceChildren(); return; }
  try {
    const events = await api.get(`/api/v1/dispatch/deliveries/${id}/timeline`);
    if (state.selected !== id) return;
    list.replaceChildren(...events.map((e) => el("li", {},
      el("time", { text: time(e.at) }), " ", el("b", { text: e.to_status ? t(`status.${e.to_status}`) : actionText(e.action) }),
      ` · ${e.actor}${e.reason ? ` · ${e.reason}` : ""}`)));
  } catch { /* keep the last */ }
}

function actionText(action) {
  const key = `dispatcher.action.${action}`;
  return t(key) === key ? action : t(key);
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
async function allowProof() {
  $("#assign-error").textContent = "";
  $("#allow-proof-note").textContent = "";
  const d = state.deliveries.get(state.selected);
  const reason = $("#reason").value.trim();
  if (!d) return;
  if (!reason) { $("#assign-error").textContent = t("dispatcher.needProofReason"); $("#reason").focus(); return; }
  try {
    const r = await api.post(`/api/v1/dispatch/deliveries/${d.id}/allow-proof`, { reason });
    $("#reason").value = "";
    $("#allow-proof-note").textContent = t("dispatcher.proofAllowed", { at: time(r.allowed_at) });
    renderTimeline(d.id);
  } catch (e) { $("#assign-error").textContent = e.message; }
}
$("#assign").addEventListener("click", () => manual("assign"));
$("#allow-proof").addEventListener("click", allowProof);
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
  const mapReady = createMap($("#map"), { credential: api.credential }); // loads while the lists come
  await loadAll();
  state.socket = new LiveSocket("/ws/dispatcher", {
    credential: () => api.credential,
    seqKey: "cd.dispatcher.seq", onFrame,
    onState: (s) => { $("#ws-dot").className = `status-dot ${s}`; document.body.dataset.ws = s; if (s === "open") scheduleReload(0); },
  });
  state.socket.connect();
  document.body.dataset.ready = "1";
  state.map = await mapReady;
  drawMap();
  loadShapes();
  setInterval(renderAll, 15000); // greys couriers that went quiet, ages the alerts
}

$("#login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try { await api.login($("#email").value, $("#password").value); localStorage.removeItem("cd.dispatcher.seq"); enter(); }
  catch (e) { $("#login-error").textContent = e.message; }
});
$("#logout").addEventListener("click", async () => { await api.logout(); location.reload(); });

if (api.credential) enter(); else { $("#login").classList.remove("hidden"); document.body.dataset.ready = "1"; }
