// The base map of every view: MapLibre GL JS (installed from npm at setup, served from
// /static/vendor/maplibre) drawing the co-op's own vector tiles, label glyphs and service area,
// all from this server. Views add their markers and route lines through the helpers below.
import { basemapStyle } from "/static/common/map-style.js";

const VENDOR = "/static/vendor/maplibre";
let libPromise = null;

export function loadMapLibre() {
  if (window.maplibregl) return Promise.resolve(window.maplibregl);
  if (!libPromise) {
    libPromise = new Promise((resolve, reject) => {
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = `${VENDOR}/maplibre-gl.css`;
      document.head.append(css);
      const js = document.createElement("script");
      js.src = `${VENDOR}/maplibre-gl.js`;
      js.onload = () => resolve(window.maplibregl);
      js.onerror = () => { libPromise = null; reject(new Error("the map library did not load")); };
      document.head.append(js);
    });
  }
  return libPromise;
}

// What to draw: the map id, tile and glyph URLs, bounds, service area (cached for offline starts).
export async function mapInfo(credential) {
  const key = "cd.basemap";
  try {
    const headers = credential ? { Authorization: `Bearer ${credential}` } : {};
    const res = await fetch("/api/v1/map/basemap", { headers });
    if (!res.ok) throw new Error(String(res.status));
    const info = await res.json();
    localStorage.setItem(key, JSON.stringify(info));
    return info;
  } catch (e) {
    const cached = localStorage.getItem(key);
    if (cached) return JSON.parse(cached);
    throw e;
  }
}

function labelLanguage(info) {
  const page = (document.documentElement.lang || "").slice(0, 2);
  return info.language || page || "en";
}

// Create a map in `element`; resolves to {maplibregl, map, info}. `onClick(lngLat)` gets
// {lat, lng}; `credential` (a bearer token or key) brings the co-op's area and language;
// `centre` ([lon, lat]) and `zoom` start there instead of the whole map; `basemap` is what
// /api/v1/map/basemap would answer, when the page already has it. The element gets
// data-basemap="ready" once the first tiles are drawn, and `element.mapInstance` is the map.
// Helpers below: setMarkers (points with labels that never overlap, optional clustering),
// setRoutes (lines with direction arrows), setPolygon (an area), fitTo, legFeatures.
export async function createMap(element, { onClick, credential, fit, centre, zoom, basemap } = {}) {
  const [maplibregl, info] = await Promise.all([loadMapLibre(), basemap || mapInfo(credential)]);
  const [w, s, e, n] = info.bounds;
  const map = new maplibregl.Map({
    container: element, style: basemapStyle(info, labelLanguage(info), location.origin),
    ...(centre ? { center: centre, zoom: zoom || 15 } : { bounds: fit || [[w, s], [e, n]], fitBoundsOptions: { padding: 10 } }),
    minZoom: info.min_zoom, maxZoom: 19, maxBounds: [[w - 0.05, s - 0.03], [e + 0.05, n + 0.03]],
    attributionControl: { compact: true }, dragRotate: false, pitchWithRotate: false,
    fadeDuration: 0,
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  element.mapInstance = map;
  map.once("idle", () => { element.dataset.basemap = "ready"; });
  // the first frame with every basemap tile in view drawn: data-painted = ms since navigation
  const painted = () => {
    try { if (!map.isSourceLoaded("basemap") || !map.areTilesLoaded()) return; } catch { return; }
    element.dataset.painted = String(Math.round(performance.now()));
    map.off("render", painted);
  };
  map.on("render", painted);
  if (onClick) map.on("click", (ev) => onClick(ev.lngLat));
  await new Promise((resolve) => (map.loaded() ? resolve() : map.once("load", resolve)));
  return { maplibregl, map, info };
}

function source(map, id, data, extra = {}) {
  const existing = map.getSource(id);
  if (existing) { existing.setData(data); return false; }
  map.addSource(id, { type: "geojson", data, ...extra });
  return true;
}

export const featureCollection = (features) => ({ type: "FeatureCollection", features });
export const point = (lon, lat, properties = {}) => ({ type: "Feature", properties, geometry: { type: "Point", coordinates: [lon, lat] } });
export const line = (coordinates, properties = {}) => ({ type: "Feature", properties, geometry: { type: "LineString", coordinates } });

// Route lines with direction arrows. Features' `color` property colours each line.
export function setRoutes(map, id, features, { width = 5, dashed = false } = {}) {
  if (!source(map, id, featureCollection(features))) return;
  map.addLayer({ id: `${id}-casing`, type: "line", source: id, layout: { "line-cap": "round", "line-join": "round" },
    paint: { "line-color": "#ffffff", "line-width": width + 4, "line-opacity": 0.9 } });
  map.addLayer({ id: `${id}-line`, type: "line", source: id, layout: { "line-cap": "round", "line-join": "round" },
    paint: { "line-color": ["coalesce", ["get", "color"], "#1c5fb8"], "line-width": width,
      ...(dashed ? { "line-dasharray": [1.5, 1.2] } : {}) } });
  map.addLayer({ id: `${id}-arrows`, type: "symbol", source: id,
    layout: { "symbol-placement": "line", "symbol-spacing": 70, "text-field": "→", "text-font": ["Sans Bold"],
      "text-size": 16, "text-keep-upright": false, "text-allow-overlap": true, "text-ignore-placement": true,
      "text-rotation-alignment": "map" },
    paint: { "text-color": "#ffffff", "text-halo-color": ["coalesce", ["get", "color"], "#1c5fb8"], "text-halo-width": 1 } });
}

// Point markers: a disc per feature (`color`, `stroke`, `shape` "square" for pickups drawn as a
// bigger ring) and a label (`label`) that MapLibre keeps from overlapping others.
export function setMarkers(map, id, features, { radius = 8, cluster = false, labels = true, onClick } = {}) {
  const extra = cluster ? { cluster: true, clusterMaxZoom: 14, clusterRadius: 40 } : {};
  if (!source(map, id, featureCollection(features), extra)) return;
  if (cluster) {
    map.addLayer({ id: `${id}-clusters`, type: "circle", source: id, filter: ["has", "point_count"],
      paint: { "circle-color": "#5b3a8e", "circle-radius": ["step", ["get", "point_count"], 14, 10, 18, 50, 24],
        "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
    map.addLayer({ id: `${id}-count`, type: "symbol", source: id, filter: ["has", "point_count"],
      layout: { "text-field": ["get", "point_count_abbreviated"], "text-font": ["Sans Bold"], "text-size": 13 },
      paint: { "text-color": "#fff" } });
  }
  const single = ["!", ["has", "point_count"]];
  map.addLayer({ id: `${id}-dots`, type: "circle", source: id, filter: single,
    paint: { "circle-radius": ["coalesce", ["get", "radius"], radius], "circle-color": ["coalesce", ["get", "color"], "#1c5fb8"],
      "circle-stroke-color": ["coalesce", ["get", "stroke"], "#ffffff"], "circle-stroke-width": ["coalesce", ["get", "strokeWidth"], 2.5] } });
  map.addLayer({ id: `${id}-glyph`, type: "symbol", source: id, filter: ["all", single, ["has", "glyph"]],
    layout: { "text-field": ["get", "glyph"], "text-font": ["Sans Bold"], "text-size": 12, "text-allow-overlap": true },
    paint: { "text-color": "#ffffff" } });
  if (labels) {
    map.addLayer({ id: `${id}-labels`, type: "symbol", source: id, filter: ["all", single, ["has", "label"]],
      layout: { "text-field": ["get", "label"], "text-font": ["Sans Bold"], "text-size": 13,
        "text-variable-anchor": ["left", "right", "top", "bottom"], "text-radial-offset": 1.1, "text-justify": "auto",
        "text-padding": 2 },
      paint: { "text-color": "#111", "text-halo-color": "#fff", "text-halo-width": 2 } });
  }
  if (onClick) {
    map.on("click", `${id}-dots`, (ev) => { ev.preventDefault?.(); onClick(ev.features[0], ev); });
    map.on("mouseenter", `${id}-dots`, () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", `${id}-dots`, () => { map.getCanvas().style.cursor = ""; });
    if (cluster) {
      map.on("click", `${id}-clusters`, async (ev) => {
        const f = ev.features[0];
        const zoom = await map.getSource(id).getClusterExpansionZoom(f.properties.cluster_id);
        map.easeTo({ center: f.geometry.coordinates, zoom });
      });
    }
  }
}

// An area (a GeoJSON Polygon geometry, or null to clear), filled lightly and outlined.
export function setPolygon(map, id, geometry, { color = "#c2185b" } = {}) {
  const data = geometry ? { type: "Feature", properties: {}, geometry } : featureCollection([]);
  if (!source(map, id, data)) return;
  map.addLayer({ id: `${id}-fill`, type: "fill", source: id, paint: { "fill-color": color, "fill-opacity": 0.12 } });
  map.addLayer({ id: `${id}-outline`, type: "line", source: id, paint: { "line-color": color, "line-width": 3 } });
}

// Fit the view to [lon, lat] points (a leg, a route), keeping a readable zoom.
export function fitTo(map, coords, { padding = 40, maxZoom = 17 } = {}) {
  if (!coords.length) return;
  const lons = coords.map((c) => c[0]), lats = coords.map((c) => c[1]);
  map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]],
    { padding, maxZoom, duration: 0 });
}

// Legs from the server (`coordinates` along the streets) as route line features.
export function legFeatures(legs, properties = {}) {
  return (legs || []).filter((l) => l.coordinates && l.coordinates.length > 1).map((l, i) => line(l.coordinates, { leg: i, ...properties }));
}
