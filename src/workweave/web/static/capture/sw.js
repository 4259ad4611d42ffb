// workweave service worker: keeps the capture app's shell on the device so that it opens, and
// reloads, with no network. Data never goes through here: the app keeps its actions in
// IndexedDB and syncs them itself.

const SHELL_CACHE = "workweave-shell-v5";
const PAGE_CACHE = "workweave-pages";
const SHELL = [
  "/static/app.css",
  "/static/capture/capture.css",
  "/static/capture/app.js",
  "/static/capture/db.js",
  "/static/capture/fold.js",
  "/static/capture/sync.js",
  "/static/icon.svg",
  "/static/manifest.webmanifest",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((n) => n.startsWith("workweave-shell-") && n !== SHELL_CACHE).map((n) => caches.delete(n))
      ))
      .then(() => self.clients.claim())
  );
});

function isAppPage(url) {
  return url.pathname.startsWith("/capture/") || url.pathname.startsWith("/me/");
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;

  if (request.mode === "navigate" && isAppPage(url)) {
    // network first, so that an online device always gets the current page
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && response.type === "basic" && !response.redirected) {
            const copy = response.clone();
            caches.open(PAGE_CACHE).then((c) => c.put(url.pathname, copy));
          }
          return response;
        })
        .catch(() =>
          caches.match(url.pathname, { ignoreSearch: true }).then(
            (hit) => hit || new Response(
              "<!doctype html><title>Offline</title><p>workweave is offline and this page was not opened here before.</p>",
              { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } }
            )
          )
        )
    );
    return;
  }

  if (url.pathname.startsWith("/static/")) {
    // the cached copy at once, refreshed in the background when the network is there
    event.respondWith(
      caches.open(SHELL_CACHE).then((cache) =>
        cache.match(request).then((hit) => {
          const fresh = fetch(request)
            .then((response) => {
              if (response.ok) cache.put(request, response.clone());
              return response;
            })
            .catch(() => hit);
          return hit || fresh;
        })
      )
    );
  }
});
