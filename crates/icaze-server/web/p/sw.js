// The citizen page's service worker (scope /p): it keeps the page's own files so that a
// permit, once opened, can be shown again without a network, at a checkpoint with no
// signal.
//
// Only the files below are handled, cache first: the cached copy answers at once, and a
// fresh copy is fetched in the background for the next visit (so a new version of the
// page arrives one visit late, never blocking the citizen). Every other request in the
// scope (the scope "/p" is a string prefix, so it also covers "/portal/…") is left to the
// network untouched. The permit itself is in the URL fragment, which is never part of a
// request, so it is neither sent nor stored here.
//
// The page's text comes inside the page ("/p", whose data block #i18n the server fills
// from web/p/i18n/*.json), so the page and its catalogues are kept, and refreshed, as one.

const CACHE = "icaze-p-v2";
const FILES = ["/p", "/p/", "/p/p.js", "/p/qr.js", "/p/p.css", "/p/sw.js", "/p/zones.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(FILES))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !FILES.includes(url.pathname)) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const cached = await cache.match(url.pathname);
      const refresh = fetch(url.pathname, { cache: "no-cache" })
        .then((response) => {
          if (response.ok) return cache.put(url.pathname, response.clone()).then(() => response);
          return response;
        })
        .catch(() => undefined);
      if (cached) {
        event.waitUntil(refresh);
        return cached;
      }
      return (await refresh) ?? Response.error();
    }),
  );
});
