// Public tracking page: status, ETA, the courier's first name and, only while the parcel is
// on its way, their position. No personal data is sent to this page.
import { initI18n, t, onLangChange } from "/static/common/i18n.js";
import { $ } from "/static/common/api.js";
import { setCoop, time } from "/static/common/fmt.js";
import { LiveSocket } from "/static/common/socket.js";
import { createMap } from "/static/common/map.js";

const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
let view = null, mapParts = null, marker = null;

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

function drawPosition() {
  if (!mapParts) return;
  const p = view && view.position;
  if (!p) { if (marker) { marker.remove(); marker = null; } return; }
  if (!marker) marker = mapParts.L.circleMarker([p.lat, p.lon], { className: "courier", radius: 9, color: "#1c5fb8", fillOpacity: 1 }).addTo(mapParts.map);
  else marker.setLatLng([p.lat, p.lon]);
  mapParts.map.panTo([p.lat, p.lon]);
}

await load();
new LiveSocket(`/ws/track/${encodeURIComponent(token)}`, {
  seqKey: `cd.track.${token}.seq`,
  onFrame: (f) => {
    if (f.type === "courier.position" && view && view.position) { view.position = { lat: f.data.lat, lon: f.data.lon, at: f.data.at }; drawPosition(); }
    else if (f.seq > 0 || f.type === "resync") load();
  },
  onState: (s) => { document.body.dataset.ws = s; },
}).connect();
setInterval(load, 15000);
mapParts = await createMap($("#map"));
drawPosition();
