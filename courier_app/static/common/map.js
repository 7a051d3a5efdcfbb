// The base map: Leaflet (vendored, loaded on demand so it never delays the first paint) drawing
// the coop's own street graph as vector lines, simplified per zoom by the server.
let leafletPromise = null;

export function loadLeaflet() {
  if (window.L) return Promise.resolve(window.L);
  if (!leafletPromise) {
    leafletPromise = new Promise((resolve, reject) => {
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = "/static/vendor/leaflet/leaflet.css";
      document.head.append(css);
      const js = document.createElement("script");
      js.src = "/static/vendor/leaflet/leaflet.js";
      js.onload = () => resolve(window.L);
      js.onerror = () => { leafletPromise = null; reject(new Error("leaflet did not load")); };
      document.head.append(js);
    });
  }
  return leafletPromise;
}

const streetCache = new Map();

async function streets(zoom) {
  const z = Math.max(13, Math.min(18, Math.round(zoom)));
  if (!streetCache.has(z)) {
    streetCache.set(z, fetch(`/api/v1/map/streets?zoom=${z}`).then((r) => {
      if (!r.ok) throw new Error(`streets ${r.status}`);
      return r.json();
    }).catch((e) => { streetCache.delete(z); throw e; }));
  }
  return streetCache.get(z);
}

export async function mapInfo() {
  const cached = localStorage.getItem("cd.mapinfo");
  try {
    const res = await fetch("/api/v1/map/info");
    if (!res.ok) throw new Error(String(res.status));
    const info = await res.json();
    localStorage.setItem("cd.mapinfo", JSON.stringify(info));
    return info;
  } catch (e) {
    if (cached) return JSON.parse(cached);
    throw e;
  }
}

// Create a map in `element`; resolves to {L, map, info}. The street layer follows the zoom.
export async function createMap(element, { onClick } = {}) {
  const [L, info] = await Promise.all([loadLeaflet(), mapInfo()]);
  const b = info.bbox;
  const map = L.map(element, {
    minZoom: info.zoom.min, maxZoom: info.zoom.max, zoomControl: true,
    maxBounds: L.latLngBounds([b.south - 0.02, b.west - 0.04], [b.north + 0.02, b.east + 0.04]),
  });
  map.fitBounds([[b.south, b.west], [b.north, b.east]]);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(info.attribution);
  const renderer = L.svg({ padding: 0.5 });
  let layer = null;
  let shownZoom = null;
  async function draw() {
    const z = Math.max(13, Math.min(18, Math.round(map.getZoom())));
    if (z === shownZoom) return;
    shownZoom = z;
    let data;
    try { data = await streets(z); } catch { shownZoom = null; return; }
    if (z !== Math.max(13, Math.min(18, Math.round(map.getZoom())))) return;
    const next = L.geoJSON(data, { renderer, interactive: false,
      style: { className: "street", color: "#8a94a6", weight: z >= 16 ? 3 : 2, opacity: 0.9 } });
    next.addTo(map);
    next.bringToBack();
    if (layer) layer.remove();
    layer = next;
    element.dataset.streets = String(data.features.length);
  }
  map.on("zoomend", draw);
  await draw();
  if (onClick) map.on("click", (ev) => onClick(ev.latlng));
  return { L, map, info };
}
