/* Home visits without network ("my cases" and the case page: templates/outreach/).
 *
 * - "My cases" asks the service worker (/sw.js) to keep itself and the case pages it
 *   lists (at most MAX_KEPT, by deadline), so that a case's visit form opens in a village
 *   without signal; the worker drops the case pages no longer listed.
 * - The case page's visit form is sent to the JSON API (POST /api/v1/outreach/cases/<id>/
 *   visits) with a client id generated here. Without network (or when the request fails
 *   on the network) the visit is kept in localStorage under its client id and sent
 *   later: when the browser goes online, when either page opens, and every RETRY_MS. An
 *   item leaves the queue after a 2xx answer (200: "already recorded" included); a 4xx
 *   refusal stays on the phone, marked, until the teacher opens that case again: its
 *   visit comes back into the form with the reason, nothing typed is lost. An expired
 *   session keeps it until the user logs in again. The server records a client id at
 *   most once (a unique column), so a resend after a lost answer changes nothing:
 *   exactly once.
 * - States shown (and in data-state, for tests): sending, queued, saved, sent, refused.
 *
 * Without this script the form is a plain form handled by the Django view.
 */
(function () {
  'use strict';

  var QUEUE_PREFIX = 'dentruong:visit:';
  var FLASH_KEY = 'dentruong:visits-flash';
  var RETRY_MS = 15000;
  var MAX_KEPT = 60;
  var TEXT_FIELDS = ['visitors', 'met', 'findings', 'family_wishes', 'agreed', 'next_step'];

  var textNode = document.getElementById('visits-text');
  var form = document.getElementById('visit-form'); // a case page
  var list = document.getElementById('my-cases'); // "my cases"
  var host = form || list;
  if (!textNode || !host) return;
  var T = JSON.parse(textNode.textContent);
  var userId = host.dataset.userId;
  var caseId = form ? Number(form.dataset.caseId) : null;
  var alertBox = document.getElementById('visit-alert');
  var pendingBox = document.getElementById('visit-pending');
  var statusBox = document.getElementById('visit-status');
  var submitButton = form ? form.querySelector('button[type=submit]') : null;
  var sending = false;
  var flushing = false;
  var dirty = false;

  // --- small helpers ------------------------------------------------------------------

  var kit = window.DenTruongOffline; // static/js/offline.js
  var fmt = kit.fmt;
  var newId = kit.newId;
  var vnToday = kit.vnToday;
  var dmy = kit.dmy;

  function show(box, message, state) {
    if (!box) return;
    box.textContent = message || '';
    box.hidden = !message;
    if (state) box.dataset.state = state;
    else delete box.dataset.state;
  }

  function lines(box, items) {
    box.textContent = '';
    items.forEach(function (line, i) {
      if (i) box.appendChild(document.createElement('br'));
      box.appendChild(document.createTextNode(line));
    });
    box.hidden = !items.length;
  }

  function labelOf(name) {
    if (!form) return '';
    var label = form.querySelector('label[for="id_' + name + '"]');
    return label ? label.textContent.replace(/:\s*$/, '').trim() : '';
  }

  function withLabel(name, message) {
    var label = name && name !== '__all__' ? labelOf(name) : '';
    return label ? label + ': ' + message : message;
  }

  // --- the queue ----------------------------------------------------------------------

  var queue = kit.queue(QUEUE_PREFIX);
  var queued = queue.all;

  function mine() {
    return queued().filter(function (i) { return i.user_id === userId; });
  }

  var store = queue.store;
  var drop = queue.drop;

  function dropRefusedHere() {
    mine().forEach(function (i) { if (i.refused && i.case_id === caseId) drop(i); });
  }

  function describe(item) {
    return fmt(T.visit, { name: item.name, date: dmy(item.payload.date) });
  }

  function showPending() {
    if (!pendingBox) return;
    var all = queued();
    var own = all.filter(function (i) { return i.user_id === userId; });
    var waiting = own.filter(function (i) { return !i.refused; });
    var refused = own.filter(function (i) { return i.refused; });
    var out = waiting.length ? [T.pending].concat(waiting.map(describe)) : [];
    refused.forEach(function (i) {
      out.push(fmt(T.refused, { what: describe(i), error: i.refused }));
    });
    if (all.length > own.length) out.push(T.otherUser);
    lines(pendingBox, out);
    pendingBox.dataset.count = String(waiting.length);
  }

  function errorText(body) {
    if (body && body.errors) {
      var first = Object.keys(body.errors)[0];
      if (first && body.errors[first].length) {
        return withLabel(first, body.errors[first][0].message);
      }
    }
    if (body && body.message) return body.message;
    if (body && body.detail) return String(body.detail);
    return '';
  }

  // One attempt (offline.js `post`): ok, refused, login or retry.
  function send(item) {
    return kit.post(item.api, item.payload, function (body) {
      return Boolean(body && body.client_id);
    }, errorText);
  }

  function reloadWith(message, state) {
    try {
      sessionStorage.setItem(FLASH_KEY, JSON.stringify({ message: message, state: state }));
    } catch (e) { /* private mode */ }
    window.location.reload();
  }

  function flush() {
    if (flushing || navigator.onLine === false) return Promise.resolve();
    var todo = mine().filter(function (i) { return !i.refused; });
    if (!todo.length) {
      showPending();
      return Promise.resolve();
    }
    flushing = true;
    var here = false;
    var chain = Promise.resolve(true);
    todo.forEach(function (item) {
      chain = chain.then(function (go) {
        if (!go) return false;
        return send(item).then(function (result) {
          if (result.state === 'ok') {
            drop(item);
            if (item.case_id === caseId) here = true;
            return true;
          }
          if (result.state === 'refused') {
            item.refused = result.message;
            store(item);
            if (item.case_id === caseId && !dirty) restore(item);
            return true;
          }
          if (result.state === 'login') show(alertBox, T.login);
          return false; // stop this round: the network or the session is down
        });
      });
    });
    return chain.then(function () {
      flushing = false;
      showPending();
      if (here && !dirty && !sending) reloadWith(T.sent, 'sent');
      else if (here) show(statusBox, T.sent, 'sent');
    }, function () {
      flushing = false;
    });
  }

  // --- the visit form -------------------------------------------------------------------

  function input(name) { return form.querySelector('[name="' + name + '"]'); }

  function collect() {
    var data = new FormData(form);
    var payload = {
      client_id: String(data.get('client_id') || ''),
      date: String(data.get('date') || ''),
      causes: data.getAll('causes').map(String),
      next_step_on: data.get('next_step_on') ? String(data.get('next_step_on')) : null
    };
    TEXT_FIELDS.forEach(function (name) { payload[name] = String(data.get(name) || '').trim(); });
    return payload;
  }

  // What the server would refuse for sure, said before the visit waits on the phone.
  function check(p) {
    var required = ['date', 'visitors', 'met', 'findings'];
    for (var i = 0; i < required.length; i++) {
      if (!p[required[i]]) return withLabel(required[i], T.required);
    }
    if (!p.causes.length) return withLabel('causes', T.causes);
    if (p.date > vnToday()) return withLabel('date', fmt(T.future, { date: dmy(p.date) }));
    if (p.next_step_on && p.next_step_on < p.date) return withLabel('next_step_on', T.nextBefore);
    return '';
  }

  function restore(item) {
    var p = item.payload;
    ['date', 'next_step_on'].concat(TEXT_FIELDS).forEach(function (name) {
      var el = input(name);
      if (el) el.value = p[name] || '';
    });
    Array.prototype.forEach.call(form.querySelectorAll('input[name=causes]'), function (box) {
      box.checked = p.causes.indexOf(box.value) >= 0;
    });
    show(statusBox, fmt(T.refused, { what: describe(item), error: item.refused }), 'refused');
  }

  function startForm() {
    // The page may come from the service worker's cache: a fresh id for this page's
    // visit, whatever id the cached copy carried.
    input('client_id').value = newId();
    form.addEventListener('input', function () { dirty = true; });
    form.addEventListener('change', function () { dirty = true; });

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (sending) return; // a double tap sends once
      var payload = collect();
      var problem = check(payload);
      if (problem) {
        show(statusBox, problem, 'error');
        return;
      }
      var item = {
        user_id: userId,
        case_id: caseId,
        name: form.dataset.name,
        api: form.dataset.api,
        queued_at: Date.now(),
        payload: payload
      };

      function keep() {
        try {
          store(item);
        } catch (e) { // storage full or refused: say so, keep the visit on screen
          show(statusBox, T.keepFailed, 'error');
          return;
        }
        dropRefusedHere();
        form.reset();
        input('client_id').value = newId(); // the next visit is another one
        dirty = false;
        show(statusBox, T.queued, 'queued');
        showPending();
      }

      if (navigator.onLine === false) {
        keep();
        return;
      }
      sending = true;
      submitButton.disabled = true;
      show(statusBox, T.sending, 'sending');
      send(item).then(function (result) {
        sending = false;
        submitButton.disabled = false;
        if (result.state === 'ok') {
          dropRefusedHere();
          dirty = false;
          reloadWith(T.saved, 'saved');
        } else if (result.state === 'refused') {
          show(statusBox, result.message, 'refused');
        } else {
          keep();
          if (result.state === 'login') show(alertBox, T.login);
        }
      });
    });

    // A visit of this case refused earlier: back into the form, with the reason.
    var refused = mine().filter(function (i) { return i.refused && i.case_id === caseId; }).pop();
    if (refused) restore(refused);
  }

  // --- the service worker -----------------------------------------------------------------

  function startWorker() {
    if (!('serviceWorker' in navigator)) return;
    navigator.serviceWorker.register(host.dataset.sw).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var worker = registration.active;
      if (!worker || !list) return;
      var cases = Array.prototype.slice.call(list.querySelectorAll('a[data-case-link]'), 0, MAX_KEPT)
        .map(function (a) { return a.href; });
      var channel = new MessageChannel();
      channel.port1.onmessage = function () {
        document.documentElement.dataset.offlineReady = 'yes';
        if (cases.length) show(document.getElementById('cases-offline'), T.offlineReady, 'ready');
      };
      worker.postMessage({ type: 'keep-cases', cases: cases, urls: [window.location.href] },
        [channel.port2]);
    }).catch(function () { /* no offline support: the pages still work online */ });
  }

  // --- start ------------------------------------------------------------------------------

  if (form) startForm();
  try {
    var flash = sessionStorage.getItem(FLASH_KEY);
    if (flash) {
      sessionStorage.removeItem(FLASH_KEY);
      var f = JSON.parse(flash);
      show(statusBox || document.getElementById('cases-offline'), f.message, f.state);
    }
  } catch (e) { /* private mode */ }
  showPending();
  flush();
  window.addEventListener('online', flush);
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') flush();
  });
  setInterval(flush, RETRY_MS);
  startWorker();
})();
