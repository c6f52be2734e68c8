/* Đến Trường service worker: keeps the teacher's roll call pages and the app shell so the
 * roll call opens without network. Plain JS, no library.
 *
 * Served at /sw.js (scope: the whole site) by dentruong.attendance.views.service_worker,
 * which prepends CONFIG = {version, shell: [static URLs], home, logout, pages: regexp}
 * and TEXT (the offline page's words, translated).
 *
 * - App shell (CSS, htmx, rollcall.js): fetched at install; afterwards network first,
 *   falling back to the cache.
 * - Roll call pages (GET /classes/<id>/roll-call/?…) and the home page: network first, the
 *   copy kept whenever one comes back fine; the cache answers when the network fails or is
 *   slower than NETWORK_WAIT_MS (the fresh copy still replaces the cached one).
 * - Outreach (CONFIG.myCases, CONFIG.cases): "my cases" is kept like a roll call page;
 *   the case pages it lists are kept when that page asks (a 'keep-cases' message from
 *   static/js/visits.js, which also drops the cases no longer listed), and a case page
 *   already kept is refreshed whenever it is opened online, network first as above. A
 *   case page never asked for is not kept.
 * - Nothing else is touched: POSTs (the roll call, a home visit) go to the network as
 *   usual; the page queues them itself when that fails (static/js/rollcall.js, visits.js).
 * - Logging out empties the pages caches: a shared phone keeps no child's name.
 */
'use strict';

var STATIC_CACHE = 'dentruong-static-' + CONFIG.version;
var PAGES_CACHE = 'dentruong-pages-v1';
var CASES_CACHE = 'dentruong-cases-v1';
var NETWORK_WAIT_MS = 4000;
var PAGES = new RegExp(CONFIG.pages);
var CASES = CONFIG.cases ? new RegExp(CONFIG.cases) : null;

function keptPage(pathname) {
  return PAGES.test(pathname) || pathname === CONFIG.home || pathname === CONFIG.myCases;
}

self.addEventListener('install', function (event) {
  event.waitUntil(
    caches.open(STATIC_CACHE).then(function (cache) {
      return cache.addAll(CONFIG.shell);
    }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener('activate', function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf('dentruong-static-') === 0 && key !== STATIC_CACHE;
      }).map(function (key) {
        return caches.delete(key);
      }));
    }).then(function () {
      return self.clients.claim();
    })
  );
});

function keepable(response) {
  return response && response.ok && response.type === 'basic' && !response.redirected;
}

function offlinePage() {
  var html = '<!doctype html><html lang="vi"><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>' + TEXT.offlineTitle + '</title>' +
    '<body style="font:16px/1.45 system-ui,sans-serif;margin:1rem">' +
    '<h1 style="font-size:1.3rem">' + TEXT.offlineTitle + '</h1><p>' + TEXT.offlineText +
    '</p><p><a href="' + CONFIG.home + '">' + TEXT.offlineHome + '</a></p></body></html>';
  return new Response(html, {
    status: 503,
    headers: { 'Content-Type': 'text/html; charset=utf-8' }
  });
}

// Network first; the cached copy if the network fails, answers 5xx, or is too slow.
// onlyKept: refresh the cached copy, but keep no page that was not kept before.
function networkFirst(event, cacheName, fallback, onlyKept) {
  var request = event.request;
  var fromNetwork = fetch(request).then(function (response) {
    if (keepable(response)) {
      var copy = response.clone();
      return caches.open(cacheName).then(function (cache) {
        if (!onlyKept) return cache.put(request, copy);
        return cache.match(request, { ignoreVary: true }).then(function (hit) {
          return hit ? cache.put(request, copy) : null;
        });
      }).then(function () {
        return response;
      });
    }
    return response;
  });
  event.waitUntil(fromNetwork.catch(function () { /* offline: nothing to keep */ }));

  return caches.match(request, { ignoreVary: true, cacheName: cacheName }).then(function (cached) {
    if (!cached) {
      return fromNetwork.catch(function () {
        return fallback ? fallback() : Response.error();
      });
    }
    return new Promise(function (resolve) {
      var settled = false;
      var timer = setTimeout(function () {
        settled = true;
        resolve(cached);
      }, NETWORK_WAIT_MS);
      fromNetwork.then(function (response) {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(response.status >= 500 ? cached : response);
      }, function () {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(cached);
      });
    });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === 'POST' && url.pathname === CONFIG.logout) {
    event.waitUntil(Promise.all([caches.delete(PAGES_CACHE), caches.delete(CASES_CACHE)]));
    return;
  }
  if (request.method !== 'GET') return;
  if (keptPage(url.pathname)) {
    event.respondWith(networkFirst(event, PAGES_CACHE, offlinePage));
  } else if (CASES && CASES.test(url.pathname)) {
    event.respondWith(networkFirst(event, CASES_CACHE, offlinePage, true));
  } else if (CONFIG.shell.indexOf(url.pathname) >= 0) {
    event.respondWith(networkFirst(event, STATIC_CACHE, null));
  }
});

// The page asks to keep itself (its first load was not served through this worker).
self.addEventListener('message', function (event) {
  var data = event.data || {};
  if (data.type === 'keep-cases') {
    keepCases(event, data);
    return;
  }
  if (data.type !== 'keep' || !Array.isArray(data.urls)) return;
  var port = event.ports && event.ports[0];
  var urls = data.urls.filter(function (raw) {
    var url = new URL(raw, self.location.origin);
    return url.origin === self.location.origin && keptPage(url.pathname);
  });
  event.waitUntil(
    caches.open(PAGES_CACHE).then(function (cache) {
      return Promise.all(urls.concat([CONFIG.home]).map(function (url) {
        return cache.match(url, { ignoreVary: true }).then(function (hit) {
          if (hit) return null;
          return fetch(url, { credentials: 'same-origin' }).then(function (response) {
            return keepable(response) ? cache.put(url, response) : null;
          }).catch(function () { return null; });
        });
      }));
    }).then(function () {
      if (port) port.postMessage({ kept: urls.length });
    })
  );
});

// "My cases" asks to keep the case pages it lists (data.cases: their URLs) and itself
// (data.urls): the pages not kept yet are fetched one after the other, the case pages no
// longer listed are dropped. Answers {kept: n} on the message's port.
function keepCases(event, data) {
  var port = event.ports && event.ports[0];
  function same(raw, test) {
    var url = new URL(raw, self.location.origin);
    return url.origin === self.location.origin && test(url.pathname) ? url.href : null;
  }
  var cases = (Array.isArray(data.cases) ? data.cases : []).map(function (raw) {
    return same(raw, function (p) { return CASES && CASES.test(p); });
  }).filter(Boolean);
  var pages = (Array.isArray(data.urls) ? data.urls : []).map(function (raw) {
    return same(raw, keptPage);
  }).filter(Boolean);

  function keep(cache, url) {
    return cache.match(url, { ignoreVary: true }).then(function (hit) {
      if (hit) return null;
      return fetch(url, { credentials: 'same-origin' }).then(function (response) {
        return keepable(response) ? cache.put(url, response) : null;
      }).catch(function () { return null; });
    });
  }

  event.waitUntil(
    caches.open(CASES_CACHE).then(function (cache) {
      return cache.keys().then(function (requests) {
        return Promise.all(requests.filter(function (r) {
          return cases.indexOf(r.url) < 0;
        }).map(function (r) { return cache.delete(r); }));
      }).then(function () {
        return cases.reduce(function (chain, url) {
          return chain.then(function () { return keep(cache, url); });
        }, Promise.resolve());
      });
    }).then(function () {
      return caches.open(PAGES_CACHE);
    }).then(function (cache) {
      return Promise.all(pages.map(function (url) { return keep(cache, url); }));
    }).then(function () {
      if (port) port.postMessage({ kept: cases.length });
    })
  );
}
