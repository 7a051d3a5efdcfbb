// coopdispatch's own map style, made to be read on a phone in sunlight: a light ground, white
// streets with dark casings, big dark labels with white halos, cycleways in strong green,
// one-way arrows from zoom 16, buildings from 15, the co-op's service area outlined in magenta.
// Layers follow routing/tiles/features.py (roads, water, waterway, green, buildings, railways,
// places, pois, entrances, housenumbers).

const ROAD_COLOR = ["match", ["get", "class"], ["motorway"], "#f6b26b", ["primary"], "#ffd966",
  ["secondary"], "#fff2a8", ["tertiary"], "#ffffff", "#ffffff"];
const ROAD_WIDTH = (k) => ["interpolate", ["exponential", 1.6], ["zoom"],
  12, ["match", ["get", "class"], ["motorway", "primary"], 3 * k, ["secondary", "tertiary"], 2.2 * k, ["minor", "pedestrian"], 1.2 * k, 0.6 * k],
  18, ["match", ["get", "class"], ["motorway", "primary"], 26 * k, ["secondary", "tertiary"], 22 * k, ["minor", "pedestrian"], 16 * k, 7 * k]];
const CAR_ROADS = ["match", ["get", "class"], ["motorway", "primary", "secondary", "tertiary", "minor", "service", "pedestrian"], true, false];

export function basemapStyle(info, lang, origin) {
  const name = ["coalesce", ["get", `name_${lang}`], ["get", "name"]];
  const src = "basemap";
  const layers = [
    { id: "ground", type: "background", paint: { "background-color": "#f3efe6" } },
    { id: "green", type: "fill", source: src, "source-layer": "green",
      paint: { "fill-color": ["match", ["get", "class"], ["wood", "forest", "scrub"], "#a9d39a", ["cemetery"], "#c5dcb9", "#bfe3a8"] } },
    { id: "water", type: "fill", source: src, "source-layer": "water", paint: { "fill-color": "#8ec3ea" } },
    { id: "waterway", type: "line", source: src, "source-layer": "waterway",
      paint: { "line-color": "#6aaee0", "line-width": ["interpolate", ["linear"], ["zoom"], 12, 1, 18, 4] } },
    { id: "buildings", type: "fill", source: src, "source-layer": "buildings", minzoom: 15,
      paint: { "fill-color": "#ddd3c7", "fill-outline-color": "#b5a794" } },
    { id: "rail", type: "line", source: src, "source-layer": "railways", filter: ["!", ["has", "tunnel"]],
      paint: { "line-color": ["match", ["get", "class"], ["tram"], "#8a6d9e", "#6b6b6b"],
        "line-width": ["interpolate", ["linear"], ["zoom"], 12, 1, 18, 2.5], "line-dasharray": [3, 2] } },
    { id: "road-casing", type: "line", source: src, "source-layer": "roads", filter: CAR_ROADS,
      layout: { "line-cap": "round", "line-join": "round" },
      paint: { "line-color": "#6f6a62", "line-width": ROAD_WIDTH(1.25), "line-opacity": ["case", ["has", "tunnel"], 0.4, 1] } },
    { id: "road", type: "line", source: src, "source-layer": "roads", filter: CAR_ROADS,
      layout: { "line-cap": "round", "line-join": "round" },
      paint: { "line-color": ROAD_COLOR, "line-width": ROAD_WIDTH(1) } },
    { id: "path", type: "line", source: src, "source-layer": "roads", filter: ["==", ["get", "class"], "path"], minzoom: 14,
      paint: { "line-color": "#8d6e4f", "line-width": ["interpolate", ["linear"], ["zoom"], 14, 0.8, 18, 2], "line-dasharray": [2, 1.5] } },
    { id: "cycleway", type: "line", source: src, "source-layer": "roads", filter: ["==", ["get", "class"], "cycleway"],
      layout: { "line-cap": "round" },
      paint: { "line-color": "#0b8a3e", "line-width": ["interpolate", ["linear"], ["zoom"], 13, 1.5, 18, 4.5] } },
    { id: "area-outline", type: "line", source: "area",
      paint: { "line-color": "#c2185b", "line-width": 3, "line-dasharray": [3, 2], "line-opacity": 0.85 } },
    { id: "oneway", type: "symbol", source: src, "source-layer": "roads", minzoom: 16, filter: ["has", "oneway"],
      layout: { "symbol-placement": "line", "symbol-spacing": 90, "text-field": ["case", ["==", ["get", "oneway"], -1], "←", "→"],
        "text-font": ["Sans Bold"], "text-size": 14, "text-keep-upright": false, "text-rotation-alignment": "map" },
      paint: { "text-color": "#5a5a5a" } },
    { id: "housenumbers", type: "symbol", source: src, "source-layer": "housenumbers", minzoom: 17,
      layout: { "text-field": ["get", "number"], "text-font": ["Sans Regular"], "text-size": 11 },
      paint: { "text-color": "#6b5e4f", "text-halo-color": "#f3efe6", "text-halo-width": 1.5 } },
    { id: "entrances", type: "circle", source: src, "source-layer": "entrances", minzoom: 17,
      paint: { "circle-radius": 3.5, "circle-color": "#7b1fa2", "circle-stroke-color": "#fff", "circle-stroke-width": 1 } },
    { id: "entrance-labels", type: "symbol", source: src, "source-layer": "entrances", minzoom: 17, filter: ["!=", ["get", "ref"], ""],
      layout: { "text-field": ["get", "ref"], "text-font": ["Sans Bold"], "text-size": 12, "text-offset": [0, -1] },
      paint: { "text-color": "#7b1fa2", "text-halo-color": "#fff", "text-halo-width": 2 } },
    { id: "pois", type: "circle", source: src, "source-layer": "pois", minzoom: 16,
      paint: { "circle-radius": 4, "circle-stroke-color": "#fff", "circle-stroke-width": 1.2,
        "circle-color": ["match", ["get", "class"], ["restaurant", "fast_food", "cafe", "bar", "pub", "ice_cream"], "#d35400",
          ["shop", "marketplace"], "#1565c0", ["pharmacy", "hospital", "clinic", "doctors"], "#c62828", "#546e7a"] } },
    { id: "poi-labels", type: "symbol", source: src, "source-layer": "pois", minzoom: 17,
      layout: { "text-field": name, "text-font": ["Sans Regular"], "text-size": 12, "text-anchor": "left", "text-offset": [0.7, 0],
        "text-max-width": 9, "text-optional": true },
      paint: { "text-color": "#4a3b2a", "text-halo-color": "#fff", "text-halo-width": 1.8 } },
    { id: "road-labels", type: "symbol", source: src, "source-layer": "roads", minzoom: 13, filter: ["has", "name"],
      layout: { "symbol-placement": "line", "text-field": name, "text-font": ["Sans Bold"],
        "text-size": ["interpolate", ["linear"], ["zoom"], 13, 11, 16, 14, 18, 17], "text-max-angle": 35, "symbol-spacing": 250 },
      paint: { "text-color": "#1d1d1d", "text-halo-color": "#ffffff", "text-halo-width": 2 } },
    { id: "places", type: "symbol", source: src, "source-layer": "places",
      layout: { "text-field": name, "text-font": ["Sans Bold"], "text-transform": "uppercase", "text-letter-spacing": 0.08,
        "text-size": ["match", ["get", "class"], ["city", "town"], 18, ["suburb"], 15, 13] },
      paint: { "text-color": "#3b3b3b", "text-halo-color": "#f3efe6", "text-halo-width": 2.5 } },
  ];
  const area = info.service_area ? { type: "Feature", properties: {}, geometry: info.service_area } : { type: "FeatureCollection", features: [] };
  return {
    version: 8, name: "coopdispatch",
    glyphs: origin + info.glyphs,
    sources: {
      basemap: { type: "vector", tiles: [origin + info.tiles], minzoom: info.min_zoom, maxzoom: info.max_zoom,
        bounds: info.bounds, attribution: info.attribution },
      area: { type: "geojson", data: area },
    },
    layers,
  };
}
