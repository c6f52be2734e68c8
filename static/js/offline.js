/* Helpers shared by the pages that work without network (static/js/rollcall.js, the roll
 * call; static/js/visits.js, home visits): the queue of submissions kept in localStorage,
 * the POST that sends one and says whether to keep it, and small formatters. Loaded before
 * them, kept by the service worker with them (attendance.views.SHELL_FILES). */
(function () {
  'use strict';

  // "%(name)s" placeholders, as gettext writes them.
  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) {
      return key in values ? values[key] : '';
    });
  }

  // A client-generated id (UUID version 4): a submission sent twice is stored once.
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); });
    return h.slice(0, 4).join('') + '-' + h.slice(4, 6).join('') + '-' + h.slice(6, 8).join('') +
      '-' + h.slice(8, 10).join('') + '-' + h.slice(10).join('');
  }

  // Today in Việt Nam, as YYYY-MM-DD (en-CA formats dates that way).
  function vnToday() {
    return new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit'
    }).format(new Date());
  }

  // YYYY-MM-DD → DD/MM/YYYY (anything else as it is).
  function dmy(iso) {
    var p = String(iso || '').split('-');
    return p.length === 3 ? p[2] + '/' + p[1] + '/' + p[0] : String(iso || '');
  }

  // Django's CSRF token: the cookie, or the page's form field.
  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector('input[name=csrfmiddlewaretoken]');
    return input ? input.value : '';
  }

  // Submissions waiting in localStorage, one key each: prefix + the payload's client id.
  function queue(prefix) {
    function key(item) { return prefix + item.payload.client_id; }
    return {
      // Oldest first.
      all: function () {
        var items = [];
        for (var i = 0; i < localStorage.length; i++) {
          var k = localStorage.key(i);
          if (k && k.indexOf(prefix) === 0) {
            try { items.push(JSON.parse(localStorage.getItem(k))); } catch (e) { /* skip */ }
          }
        }
        items.sort(function (a, b) { return a.queued_at - b.queued_at; });
        return items;
      },
      store: function (item) { localStorage.setItem(key(item), JSON.stringify(item)); },
      drop: function (item) { localStorage.removeItem(key(item)); }
    };
  }

  var TIMEOUT_MS = 20000;

  // One POST of a JSON payload. Resolves to {state: 'ok', body} (2xx whose body
  // `accepted` recognises), 'refused' with a message (4xx: do not retry), 'login'
  // (session expired or CSRF: keep it) or 'retry' (network, timeout, 5xx, anything
  // unexpected: keep it). `errorText(body)` words a refusal.
  function post(url, payload, accepted, errorText) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/json',
        'Accept': 'application/json',
        'X-CSRFToken': csrfToken()
      },
      body: JSON.stringify(payload),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (response.status >= 200 && response.status < 300) {
          return accepted(body) ? { state: 'ok', body: body } : { state: 'retry' };
        }
        if (response.status === 401) return { state: 'login' };
        if (response.status === 403 && !(body && body.code)) return { state: 'login' }; // CSRF
        if (response.status === 408 || response.status === 429 || response.status >= 500) {
          return { state: 'retry' };
        }
        return { state: 'refused', message: errorText(body) || String(response.status) };
      });
    }, function () {
      return { state: 'retry' };
    }).then(function (result) {
      if (timer) clearTimeout(timer);
      return result;
    });
  }

  window.DenTruongOffline = {
    fmt: fmt, newId: newId, vnToday: vnToday, dmy: dmy,
    csrfToken: csrfToken, queue: queue, post: post
  };
})();
