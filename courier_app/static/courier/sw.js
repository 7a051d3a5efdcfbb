// Service worker of the courier app: the app shell comes from the cache when the network is
// away (stale-while-revalidate when it is there). The basemap's tiles and glyphs are kept as
// they are seen, cache first (a map id names one extract, so a tile never changes under it), in
// a cache of their own bounded to MAX_TILES entries, oldest dropped first: a rider who loses
// signal still sees the streets around where they have been. API calls other than the map are
// never cached: the outbox and the route cache in the page handle offline data.
const CACHE = "cd-courier-v2";
const TILES = "cd-courier-tiles-v1";
const MAX_TILES = 3000; // ~ a few tens of MB at most; a city centre at zooms 10-18 is well under
const SHELL = [
  "/courier/", "/courier/manifest.webmanifest",
  "/static/common/style.css", "/static/common/i18n.js", "/static/common/api.js", "/static/common/fmt.js",
  "/static/common/socket.js", "/static/common/map.js", "/static/common/map-style.js",
  "/static/courier/courier.css", "/static/courier/courier.js", "/static/courier/outbox.js", "/static/courier/proof.js",
  "/static/courier/icons/icon.svg", "/static/courier/icons/icon-192.png",
  "/static/vendor/maplibre/maplibre-gl.js", "/static/vendor/maplibre/maplibre-gl.css",
  "/api/v1/map/info",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE && k !== TILES).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

function isBasemap(url) {
  return url.pathname.startsWith("/api/v1/map/tiles/") || url.pathname.startsWith("/api/v1/map/fonts/");
}

function cacheable(url) {
  return url.origin === location.origin && (url.pathname.startsWith("/static/") || url.pathname === "/courier/"
    || url.pathname === "/courier/manifest.webmanifest" || url.pathname.startsWith("/api/v1/map/"));
}

let puts = 0;
async function trim(cache) {
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - MAX_TILES))) await cache.delete(old);
}

async function basemapFirst(req) {
  const cache = await caches.open(TILES);
  const cached = await cache.match(req);
  if (cached) return cached;
  const res = await fetch(req);
  if (res.ok) {
    await cache.put(req, res.clone());
    if (++puts % 100 === 0) trim(cache);
  }
  return res;
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || !cacheable(url)) return;
  if (isBasemap(url)) { event.respondWith(basemapFirst(req)); return; }
  const key = url.pathname.startsWith("/courier") && req.mode === "navigate" ? "/courier/" : req;
  event.respondWith(caches.open(CACHE).then(async (cache) => {
    const cached = await cache.match(key, { ignoreSearch: !url.pathname.startsWith("/api/") });
    const network = fetch(req).then((res) => {
      if (res.ok) cache.put(key, res.clone());
      return res;
    });
    if (cached) { network.catch(() => {}); return cached; }
    return network;
  }));
});
