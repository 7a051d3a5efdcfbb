// Public tracking page: status, ETA, the courier's first name and, only while the parcel is
// on its way, their position. No personal data is sent to this page.
import { initI18n, t, onLangChange } from "/static/common/i18n.js";
import { $ } from "/static/common/api.js";
import { setCoop, time } from "/static/common/fmt.js";
import { LiveSocket } from "/static/common/socket.js";
import { createMap, setMarkers, setRoutes, legFeatures, point, fitTo } from "/static/common/map.js";

const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
let view = null, mapParts = null, way = null;

initI18n($("#lang"));
onLangChange(render);

async function load() {
  try {
    const res = await fetch(`/api/v1/track/${encodeURIComponent(token)}`);
    if (!res.ok) throw new Error(res.status === 404 ? t("track.unknown") : `HTTP ${res.status}`);
    view = await res.json();
    setCoop(view.coop);
    $("#error").textContent = "";
  } catch (e) { $("#error").textContent = e.message; }
  render();
}

function render() {
  document.body.dataset.ready = "1";
  if (!view) return;
  document.body.dataset.status = view.status;
  $("#status").className = `badge ${view.status}`;
  $("#status").textContent = t(`status.${view.status}`);
  $("#from").textContent = view.merchant ? t("track.from", { name: view.merchant }) : "";
  const done = view.delivered_at;
  $("#eta").textContent = done ? `${t("status.delivered")} ${time(done)}` : time(view.eta || view.dropoff_window.end);
  $("#window").textContent = done ? "" : `(${t("track.window")} ${time(view.dropoff_window.start)}–${time(view.dropoff_window.end)})`;
  $("#courier").textContent = view.courier_first_name ? t(view.position ? "track.onItsWay" : "track.courier", { name: view.courier_first_name }) : "";
  drawPosition();
}

// The door (red pin), the courier (blue) and their way to the door along the streets.
async function loadWay() {
  try { const res = await fetch(`/api/v1/track/${encodeURIComponent(token)}/way`); if (res.ok) way = await res.json(); } catch { /* keep the last */ }
  drawPosition(true);
}

function drawPosition(fit = false) {
  if (!mapParts || !way) return;
  const { map } = mapParts;
  const p = view && view.position;
  const marks = [point(way.destination.lon, way.destination.lat, { color: "#b3261e", glyph: "D", radius: 11, label: t("track.door") })];
  if (p) marks.push(point(p.lon, p.lat, { color: "#1c5fb8", radius: 9, label: view.courier_first_name || "" }));
  setMarkers(map, "points", marks);
  $("#map").dataset.courier = p ? "shown" : "";
  const legs = p ? way.legs : [];
  setRoutes(map, "way", legFeatures(legs, { color: "#1c5fb8" }));
  if (fit) fitTo(map, legs.length ? legs[0].coordinates : [[way.destination.lon, way.destination.lat]], { padding: 50, maxZoom: 16 });
}

await load(); // the status first: it is what the recipient came for
try { const res = await fetch(`/api/v1/track/${encodeURIComponent(token)}/way`); if (res.ok) way = await res.json(); } catch { /* below */ }
const mapReady = createMap($("#map"), { basemap: way && way.basemap }); // the delivery's co-op's map
new LiveSocket(`/ws/track/${encodeURIComponent(token)}`, {
  seqKey: `cd.track.${token}.seq`,
  onFrame: (f) => {
    if (f.type === "courier.position" && view && view.position) { view.position = { lat: f.data.lat, lon: f.data.lon, at: f.data.at }; loadWay(); }
    else if (f.seq > 0 || f.type === "resync") load();
  },
  onState: (s) => { document.body.dataset.ws = s; },
}).connect();
setInterval(() => load().then(loadWay), 15000);
mapParts = await mapReady;
await loadWay();
