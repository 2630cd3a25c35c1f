/* gridgov service worker for the grid worker's phone pages (scope /m/). Generated per release by
   web/views/phone.py, which fills in CONFIG. It keeps the report page and its scripts so that a
   worker can open the page and file a report with no network; the report then waits in the
   outbox (outbox.js) until it can be sent. Pages are network-first, scripts and styles are
   served from the cache and refreshed in the background. Nothing is ever sent from here. */
"use strict";
var CONFIG = __CONFIG__;
var CACHE = "gridgov-phone-" + CONFIG.version;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll(CONFIG.assets).then(function () {
        return Promise.all(CONFIG.pages.map(function (url) {
          return fetch(url, { credentials: "same-origin" }).then(function (r) {
            if (r.ok && !r.redirected) return cache.put(url, r);
          }).catch(function () {});
        }));
      });
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) {
        return k.indexOf("gridgov-phone-") === 0 && k !== CACHE;
      }).map(function (k) { return caches.delete(k); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function networkFirst(request, fallbackUrl) {
  return fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    // ignoreVary: a page kept at install was fetched with other headers (Accept) than a
    // navigation sends, and the pages vary on them (a view that answers JSON to the outbox).
    return caches.match(request, { ignoreSearch: true, ignoreVary: true }).then(function (hit) {
      return hit || (fallbackUrl ? caches.match(fallbackUrl) : undefined) || Response.error();
    });
  });
}

function cacheThenRefresh(request) {
  return caches.match(request).then(function (hit) {
    var refresh = fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    });
    return hit || refresh;
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.indexOf(CONFIG.scope) === 0) {
    event.respondWith(networkFirst(request, CONFIG.pages[0]));
  } else if (CONFIG.assets.indexOf(url.pathname) >= 0) {
    event.respondWith(cacheThenRefresh(request));
  } else if (CONFIG.data.indexOf(url.pathname) >= 0) {
    event.respondWith(networkFirst(request, null));
  }
});
