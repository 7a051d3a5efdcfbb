// Courier app: shift, today's route, next stop with its actions, offline outbox, live jobs.
import { initI18n, t, onLangChange, currentLang } from "/static/common/i18n.js";
import { makeApi, $, $$, el } from "/static/common/api.js";
import { setCoop, time } from "/static/common/fmt.js";
import { LiveSocket } from "/static/common/socket.js";
import { Outbox } from "/static/courier/outbox.js";
import { base64Of, downscalePhoto, signaturePad } from "/static/courier/proof.js";

const api = makeApi("cd.courier.token");
const POSITION_EVERY_MS = 10000;
const DONE = new Set(["picked_up", "delivered", "failed"]);
const state = { profile: load("cd.courier.profile"), route: load("cd.courier.route"), queued: [], socket: null,
  fix: null, positionTimer: null, map: null, fresh: new Set() };
let refreshTimer = null;

function load(key) { try { return JSON.parse(localStorage.getItem(key)); } catch { return null; } }
function save(key, value) { value === null ? localStorage.removeItem(key) : localStorage.setItem(key, JSON.stringify(value)); }

const outbox = new Outbox({
  send: sendItem,
  onChange: () => refreshQueued(),
  onSent: () => scheduleRefresh(300),
});

async function sendItem(item) {
  const headers = { "Idempotency-Key": item.key, Authorization: `Bearer ${api.credential}`, "Accept-Language": currentLang() };
  let res;
  if (item.type === "proof") {
    const body = { kind: item.proof, happened_at: item.happened_at, image_base64: await base64Of(item.blob) };
    res = await fetch(`/api/v1/courier/stops/${item.stop_id}/proof`, {
      method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(body) });
  } else {
    const body = { action: item.action, happened_at: item.happened_at };
    if (item.reason) body.reason = item.reason;
    res = await fetch(`/api/v1/courier/stops/${item.stop_id}/reports`, {
      method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(body) });
  }
  let detail = "";
  if (!res.ok) { try { detail = (await res.json()).detail || ""; } catch { /* not JSON */ } }
  return { status: res.status, detail };
}

// ---- what the screen shows: the server's route with the queued actions laid over it
function localStatus(stopId) {
  let last = null;
  for (const q of state.queued) if (q.stop_id === stopId && q.type === "report") last = q.action;
  return last;
}

function visibleStops() {
  const stops = (state.route && state.route.stops) || [];
  return stops.filter((s) => !DONE.has(localStatus(s.id)));
}

function stopPlace(s) { return s.kind === "pickup" ? s.delivery.pickup : s.delivery.dropoff; }
// The server labels a stop stored without an address; a point it could not label is on the map.
function placeLabel(place) { return place.address || t("courier.onTheMap"); }

function render() {
  const shift = state.route && state.route.shift;
  $("#shift-state").textContent = shift ? `${t("courier.onShiftSince")} ${time(shift.started_at)}` : t("courier.offShift");
  $("#shift-start").classList.toggle("hidden", !!shift);
  $("#shift-end").classList.toggle("hidden", !shift);
  document.body.dataset.shift = shift ? "on" : "off";
  const stops = visibleStops();
  renderNext(stops[0]);
  $("#no-stops").classList.toggle("hidden", stops.length > 0);
  $("#stops").replaceChildren(...stops.map((s, i) => el("li", {
    class: [i === 0 ? "is-next" : "", localStatus(s.id) ? "local" : "", state.fresh.has(s.delivery_id || s.delivery.id) ? "fresh" : ""].join(" "),
    dataset: { stopId: s.id, deliveryId: s.delivery.id, kind: s.kind } },
  `${t(`courier.${s.kind}`)} · ${placeLabel(stopPlace(s))} · ${time(s.eta)}`,
  localStatus(s.id) ? ` · ${t(`courier.${localStatus(s.id)}`)} (${t("courier.notSent")})` : "")));
  drawRoute(stops);
}

function renderNext(s) {
  $("#next").classList.toggle("hidden", !s);
  if (!s) return;
  const place = stopPlace(s);
  const d = s.delivery;
  $("#next").dataset.stopId = s.id;
  $("#next").dataset.kind = s.kind;
  $("#next-kind").textContent = t(`courier.${s.kind}`);
  $("#next-eta").textContent = time(s.eta);
  $("#next-address").textContent = placeLabel(place);
  // whom to meet here: the shop at a pickup, the recipient at a dropoff (older cached routes: recipient)
  const c = s.contact || { role: "recipient", ...(d.recipient || {}) };
  $("#next-recipient").dataset.role = c.role;
  $("#next-recipient").replaceChildren(...(c.name ? [el("span", { class: "muted", text: `${t(`courier.contact.${c.role}`)} · ` }), c.name,
    ...(c.phone ? [" · ", el("a", { href: `tel:${c.phone}`, text: c.phone })] : [])] : []));
  const notes = $("#next-notes"); // absent from a page the service worker cached before notes existed
  if (notes) { notes.classList.toggle("hidden", !d.notes); notes.replaceChildren(...(d.notes ? [el("b", { text: `${t("courier.notes")} ` }), d.notes] : [])); }
  $("#next-nav").href = `geo:${place.lat},${place.lon}?q=${place.lat},${place.lon}`;
  const local = localStatus(s.id);
  $$("#next [data-action]").forEach((b) => {
    const a = b.dataset.action;
    const fits = a === "arrived" || a === "failed" || (a === "picked_up") === (s.kind === "pickup");
    b.classList.toggle("hidden", !fits || (a === "arrived" && (local === "arrived" || s.arrived_at)));
  });
  $("#proof").classList.toggle("hidden", s.kind !== "dropoff");
}

function refreshQueued() {
  return outbox.all().then((items) => {
    state.queued = items.sort((a, b) => a.seq - b.seq);
    $("#pending").classList.toggle("hidden", items.length === 0);
    $("#outbox-count").textContent = String(items.length);
    $("#outbox").replaceChildren(...state.queued.map((q) => el("li", { dataset: { key: q.key } },
      `${q.type === "proof" ? t(`courier.${q.proof}`) : t(`courier.${q.action}`)} · ${time(q.happened_at)}`,
      q.attempts ? ` · ${t("courier.attempts")} ${q.attempts} (${q.last_error})` : "")));
    $("#outbox-why").textContent = items.length ? (outbox.blocked === "auth" ? t("courier.loginAgain") : t("courier.willSend")) : "";
    const refused = outbox.refused();
    $("#refused-box").classList.toggle("hidden", refused.length === 0);
    $("#refused").replaceChildren(...refused.map((r) => el("li", { text: `${t(`courier.${r.action || r.proof}`)} · ${time(r.happened_at)} · ${r.detail || r.status}` })));
    render();
  });
}

// ---- actions
async function act(action, reason) {
  const stopId = $("#next").dataset.stopId;
  await outbox.add({ type: "report", stop_id: stopId, action, reason, happened_at: new Date().toISOString() });
}

$$("#next [data-action]").forEach((b) => b.addEventListener("click", () => {
  if (b.dataset.action === "failed") { $("#fail-box").classList.remove("hidden"); $("#fail-reason").focus(); return; }
  act(b.dataset.action);
}));
$("#fail-confirm").addEventListener("click", () => {
  const reason = $("#fail-reason").value.trim();
  if (!reason) { $("#fail-reason").focus(); return; }
  $("#fail-box").classList.add("hidden");
  $("#fail-reason").value = "";
  act("failed", reason);
});

const pad = signaturePad($("#signature"));
$("#sig-clear").addEventListener("click", () => pad.clear());
$("#sig-attach").addEventListener("click", async () => {
  if (pad.isEmpty()) return;
  await outbox.add({ type: "proof", proof: "signature", stop_id: $("#next").dataset.stopId, blob: await pad.blob(), happened_at: new Date().toISOString() });
  pad.clear();
  $("#proof-state").textContent = t("courier.proofQueued");
});
$("#photo").addEventListener("change", async (ev) => {
  const file = ev.target.files[0];
  if (!file) return;
  try {
    const blob = await downscalePhoto(file);
    await outbox.add({ type: "proof", proof: "photo", stop_id: $("#next").dataset.stopId, blob, happened_at: new Date().toISOString() });
    $("#proof-state").textContent = t("courier.proofQueued");
  } catch (e) { $("#proof-state").textContent = e.message; }
  ev.target.value = "";
});

// ---- data from the server
async function refresh() {
  try {
    const route = await api.get("/api/v1/courier/route");
    const before = new Set(((state.route && state.route.stops) || []).map((s) => s.delivery.id));
    const fresh = route.stops.map((s) => s.delivery.id).filter((id) => !before.has(id));
    const removed = [...before].filter((id) => !route.stops.some((s) => s.delivery.id === id));
    if (state.route && (fresh.length || removed.length)) alertCourier();
    fresh.forEach((id) => state.fresh.add(id));
    state.route = route;
    save("cd.courier.route", route);
    updatePositions();
  } catch (e) {
    if (e.status === 401) { logout(); return; }
  }
  render();
}

function scheduleRefresh(ms = 150) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, ms);
}

function alertCourier() {
  try {
    const ctx = new (window.AudioContext || window.webkitAudioContext)();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880; gain.gain.value = 0.2;
    osc.connect(gain).connect(ctx.destination);
    osc.start(); osc.stop(ctx.currentTime + 0.25);
    osc.onended = () => ctx.close();
  } catch { /* no audio on this device */ }
  if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
}

// ---- shift and positions
function currentPosition() {
  return new Promise((resolve) => {
    if (state.fix) return resolve(state.fix);
    const fallback = () => { const c = (load("cd.mapinfo") || {}).centre; resolve(c ? { lat: c.lat, lon: c.lon } : null); };
    if (!navigator.geolocation) return fallback();
    navigator.geolocation.getCurrentPosition((p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude }), fallback,
      { enableHighAccuracy: true, timeout: 3000, maximumAge: 30000 });
  });
}

async function ensureMapInfo() {
  if (!load("cd.mapinfo")) { try { save("cd.mapinfo", await (await fetch("/api/v1/map/info")).json()); } catch { /* offline */ } }
}

$("#shift-start").addEventListener("click", async () => {
  $("#shift-error").textContent = "";
  await ensureMapInfo();
  const at = await currentPosition();
  if (!at) { $("#shift-error").textContent = t("courier.noPosition"); return; }
  try { await api.post("/api/v1/courier/shift/start", { lat: at.lat, lon: at.lon }); await refresh(); }
  catch (e) { $("#shift-error").textContent = e.status ? e.message : t("common.networkRetry"); }
});
$("#shift-end").addEventListener("click", async () => {
  $("#shift-error").textContent = "";
  try { await api.post("/api/v1/courier/shift/end"); await refresh(); }
  catch (e) { $("#shift-error").textContent = e.status ? e.message : t("common.networkRetry"); }
});

function updatePositions() {
  const onShift = !!(state.route && state.route.shift);
  if (onShift && !state.positionTimer) {
    if (navigator.geolocation) {
      state.watch = navigator.geolocation.watchPosition((p) => { state.fix = { lat: p.coords.latitude, lon: p.coords.longitude }; }, () => {},
        { enableHighAccuracy: true, maximumAge: 10000 });
    }
    const tick = () => { if (state.fix && state.socket) state.socket.send({ type: "position", ...state.fix, at: new Date().toISOString() }); };
    state.positionTimer = setInterval(tick, POSITION_EVERY_MS);
    setTimeout(tick, 1000);
  } else if (!onShift && state.positionTimer) {
    clearInterval(state.positionTimer);
    state.positionTimer = null;
    if (state.watch !== undefined) navigator.geolocation.clearWatch(state.watch);
  }
}

// ---- map: the basemap, my stops, and my way along the streets (the current leg strongest)
let shapeKey = null;
async function drawRoute(stops) {
  if (!state.map) return;
  const { map } = state.map;
  const m = await import("/static/common/map.js");
  const marks = stops.map((s, i) => {
    const p = stopPlace(s);
    return m.point(p.lon, p.lat, { color: s.kind === "pickup" ? "#1f7a4d" : "#b3261e", glyph: s.kind === "pickup" ? "P" : "D",
      radius: i === 0 ? 12 : 9, label: `${i + 1}. ${t(`courier.${s.kind}`)}` });
  });
  const shift = state.route && state.route.shift;
  const at = state.fix || (shift && shift.position);
  if (at && at.lat != null) marks.push(m.point(at.lon, at.lat, { color: "#1c5fb8", radius: 7, strokeWidth: 3 }));
  m.setMarkers(map, "stops", marks);
  const key = stops.map((s) => s.id).join(",");
  if (key === shapeKey) return;
  let legs = [];
  try { legs = (await api.get("/api/v1/courier/route/shape")).legs; save("cd.courier.legs", { key, legs }); }
  catch { const kept = load("cd.courier.legs"); legs = kept && kept.key === key ? kept.legs : []; }
  shapeKey = key;
  m.setRoutes(map, "route", [...m.legFeatures(legs.slice(1), { color: "#8a97ab" }), ...m.legFeatures(legs.slice(0, 1), { color: "#1c5fb8" })]);
  if (legs.length) m.fitTo(map, legs[0].coordinates, { padding: 64 }); // zoom to the leg I ride now (marker and label in view)
}

async function startMap() {
  const { createMap } = await import("/static/common/map.js");
  try { state.map = await createMap($("#map"), { credential: api.credential }); shapeKey = null; render(); }
  catch { /* no map library cached yet and no network: the list still works */ }
}

// ---- session
function setNet() {
  const on = navigator.onLine;
  $("#net").className = `badge ${on ? "online" : "offline"}`;
  $("#net").textContent = on ? t("courier.online") : t("courier.offline");
}
window.addEventListener("online", () => { setNet(); scheduleRefresh(); });
window.addEventListener("offline", setNet);

function connect() {
  state.socket = new LiveSocket("/ws/courier", {
    credential: () => api.credential,
    seqKey: "cd.courier.seq",
    onState: (s) => { document.body.dataset.ws = s; if (s === "open") scheduleRefresh(); },
    onFrame: (f) => { if (f.seq > 0 || f.type === "resync") scheduleRefresh(); },
  });
  state.socket.connect();
}

async function enter() {
  $("#login").classList.add("hidden");
  $("#app").classList.remove("hidden");
  $("#logout").classList.remove("hidden");
  if (state.profile) setCoop(state.profile.coop);
  await refreshQueued();
  document.body.dataset.ready = "1";
  api.get("/api/v1/web/profile").then((p) => { state.profile = p; save("cd.courier.profile", p); setCoop(p.coop); render(); }).catch(() => {});
  startMap(); // the basemap from the cache while the route comes over the network
  await refresh();
  connect();
  outbox.flush(true);
}

async function logout() {
  await api.logout();
  for (const k of ["cd.courier.profile", "cd.courier.route", "cd.courier.seq"]) localStorage.removeItem(k);
  location.reload();
}

$("#login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    const who = await api.login($("#email").value, $("#password").value);
    if (who.role !== "courier") { api.credential = null; throw new Error(t("courier.notCourier")); }
    localStorage.removeItem("cd.courier.seq");
    enter();
  } catch (e) { $("#login-error").textContent = e.message; }
});
$("#logout").addEventListener("click", logout);
$("#refused-ok").addEventListener("click", () => outbox.clearRefused());

initI18n($("#lang"));
onLangChange(() => { setNet(); refreshQueued(); });
setNet();
if (api.credential) enter();
else { $("#login").classList.remove("hidden"); document.body.dataset.ready = "1"; }
if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => navigator.serviceWorker.register("/courier/sw.js", { scope: "/courier/" }).catch(() => {}));
}
