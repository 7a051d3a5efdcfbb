// Service worker of the courier app: the app shell comes from the cache when the network is
// away (stale-while-revalidate when it is there); the base map is cached as it is fetched.
// API calls other than the map are never cached: the outbox and the route cache in the page
// handle offline data.
const CACHE = "cd-courier-v1";
const SHELL = [
  "/courier/", "/courier/manifest.webmanifest",
  "/static/common/style.css", "/static/common/i18n.js", "/static/common/api.js", "/static/common/fmt.js",
  "/static/common/socket.js", "/static/common/map.js",
  "/static/courier/courier.css", "/static/courier/courier.js", "/static/courier/outbox.js", "/static/courier/proof.js",
  "/static/courier/icons/icon.svg", "/static/courier/icons/icon-192.png",
  "/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css",
  "/api/v1/map/info",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

function cacheable(url) {
  return url.origin === location.origin && (url.pathname.startsWith("/static/") || url.pathname === "/courier/"
    || url.pathname === "/courier/manifest.webmanifest" || url.pathname.startsWith("/api/v1/map/"));
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || !cacheable(url)) return;
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
