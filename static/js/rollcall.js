/* The roll call page, enhanced (templates/attendance/roll_call.html).
 *
 * - A tap on a student cycles present → P → K → T → present; the reason picker shows for a
 *   marked student; the counts follow.
 * - Submit sends the roll call to the JSON API (POST /api/v1/roll-calls) with a client id
 *   generated here. Without network (or when the request fails on the network), the roll
 *   call is kept in localStorage under its client id and sent later: when the browser goes
 *   online, at the next page load, and every RETRY_MS. An item leaves the queue only after
 *   a 2xx answer (200 "duplicate" included); a 4xx refusal is shown and not retried; an
 *   expired session keeps it until the user logs in again. The server applies a client id
 *   at most once, so a retry after a lost answer changes nothing: exactly once.
 * - Registers the service worker (/sw.js), which keeps this page and the static files.
 *
 * Without this script the page is a plain form handled by the Django view.
 */
(function () {
  'use strict';

  var QUEUE_PREFIX = 'dentruong:rollcall:';
  var CYCLE = ['', 'P', 'K', 'T'];
  var RETRY_MS = 15000;

  var form = document.getElementById('rc-form');
  var textNode = document.getElementById('rollcall-text');
  if (!form || !textNode) return;
  var T = JSON.parse(textNode.textContent);
  var statusBox = document.getElementById('rc-status');
  var alertBox = document.getElementById('rc-alert');
  var pendingBox = document.getElementById('rc-pending');
  var submitButton = form.querySelector('.rc-submit');
  var rows = Array.prototype.slice.call(form.querySelectorAll('.rc-row'));
  var userId = form.dataset.userId;
  var saved = form.dataset.taken ? JSON.parse(form.dataset.saved || '{}') : null;
  var sending = false;
  var flushing = false;
  var dirty = false;

  // --- small helpers ------------------------------------------------------------------

  var kit = window.DenTruongOffline; // static/js/offline.js
  var fmt = kit.fmt;
  var newId = kit.newId;
  var vnToday = kit.vnToday;
  var dmy = kit.dmy;

  function show(box, message) {
    if (!box) return;
    box.textContent = message || '';
    box.hidden = !message;
    if (box === statusBox) box.classList.remove('rc-status-error');
  }

  function showError(message) {
    show(statusBox, message);
    statusBox.classList.add('rc-status-error');
  }

  function field(name) { return form.querySelector('input[name="' + name + '"]'); }

  // --- marking ------------------------------------------------------------------------

  function codeSelect(row) { return row.querySelector('select[name^="code-"]'); }
  function reasonSelect(row) { return row.querySelector('select[name^="reason-"]'); }

  function paint(row) {
    var code = codeSelect(row).value;
    row.dataset.code = code;
    row.querySelector('.rc-code').textContent = code || '✓';
    row.querySelector('.rc-tap').setAttribute(
      'aria-label', row.dataset.name + ': ' + (code || T.present));
  }

  function count() {
    var n = { enrolled: rows.length, P: 0, K: 0, T: 0 };
    rows.forEach(function (row) {
      var code = codeSelect(row).value;
      if (code) n[code] += 1;
    });
    n.present = n.enrolled - n.P - n.K;
    Object.keys(n).forEach(function (key) {
      var el = form.querySelector('[data-count="' + key + '"]');
      if (el) el.textContent = n[key];
    });
  }

  function touched() {
    dirty = true;
    form.classList.add('rc-dirty');
    show(statusBox, T.unsaved);
  }

  rows.forEach(function (row) {
    row.querySelector('.rc-tap').addEventListener('click', function () {
      var select = codeSelect(row);
      select.value = CYCLE[(CYCLE.indexOf(select.value) + 1) % CYCLE.length];
      paint(row);
      count();
      touched();
    });
    reasonSelect(row).addEventListener('change', touched);
    paint(row);
  });
  count();

  function marks() {
    var out = [];
    rows.forEach(function (row) {
      var code = codeSelect(row).value;
      if (code) {
        out.push({
          student_id: Number(row.dataset.student),
          code: code,
          reason: reasonSelect(row).value
        });
      }
    });
    return out;
  }

  function unchanged(list) {
    if (!saved) return false;
    var keys = Object.keys(saved);
    if (keys.length !== list.length) return false;
    return list.every(function (m) {
      var s = saved[String(m.student_id)];
      return s && s[0] === m.code && s[1] === m.reason;
    });
  }

  // --- a page kept offline overnight: move it to today ------------------------------------

  (function () {
    if (!form.dataset.defaultDate) return;
    var today = vnToday();
    if (today <= form.dataset.date) return;
    var ahead = (form.dataset.ahead || '').split(' ');
    if (ahead.indexOf(today) < 0) {
      show(alertBox, T.notSchoolToday);
      submitButton.disabled = true;
      return;
    }
    form.dataset.date = today;
    field('date').value = today;
    field('base_version').value = '';
    saved = null;
    document.getElementById('rc-date').textContent = dmy(today);
    Array.prototype.forEach.call(document.querySelectorAll('[data-day-bound]'), function (el) {
      el.hidden = true;
    });
    rows.forEach(function (row) {
      codeSelect(row).value = '';
      reasonSelect(row).value = 'unknown';
      paint(row);
    });
    count();
    var note = document.createElement('p');
    note.className = 'rc-note rc-warning';
    note.textContent = fmt(T.offlineDay, { date: dmy(today) });
    form.parentNode.insertBefore(note, pendingBox);
  })();

  // The page may come from the service worker's cache: a fresh id for this page's
  // submission, whatever id the cached copy carried.
  field('client_id').value = newId();

  // --- the queue ---------------------------------------------------------------------------

  var waiting = kit.queue(QUEUE_PREFIX);
  var queued = waiting.all;

  function sameRoll(a, b) {
    return a.class_id === b.class_id && a.date === b.date && a.session === b.session;
  }

  function enqueue(item) {
    // A newer roll call of the same class-session replaces one still waiting: the
    // teacher's latest marks win, as they would online.
    queued().forEach(function (old) {
      if (old.user_id === item.user_id && sameRoll(old, item)) {
        waiting.drop(old);
      }
    });
    waiting.store(item);
  }

  var drop = waiting.drop;

  function describe(item) {
    return fmt(T.roll, {
      'class': item.class_name,
      date: dmy(item.date),
      session: T.sessions[item.session] || item.session
    });
  }

  function showPending() {
    var mine = queued().filter(function (i) { return i.user_id === userId; });
    var others = queued().length - mine.length;
    if (!mine.length && !others) {
      show(pendingBox, '');
      return;
    }
    var lines = mine.length ? [T.pending].concat(mine.map(describe)) : [];
    if (others) lines.push(T.otherUser);
    pendingBox.textContent = '';
    lines.forEach(function (line, i) {
      if (i) pendingBox.appendChild(document.createElement('br'));
      pendingBox.appendChild(document.createTextNode(line));
    });
    pendingBox.hidden = false;
  }

  function errorText(body) {
    if (body && body.errors) {
      var first = Object.keys(body.errors)[0];
      if (first && body.errors[first].length) return body.errors[first][0].message;
    }
    if (body && body.message) return body.message;
    if (body && body.detail) return String(body.detail);
    return '';
  }

  // One attempt (offline.js `post`): ok, refused, login or retry.
  function send(item) {
    return kit.post(form.dataset.api, item.payload, function (body) {
      return Boolean(body && body.roll_call);
    }, errorText);
  }

  function reloadSaved(message) {
    try { sessionStorage.setItem('dentruong:rollcall:flash', message); } catch (e) { /* ok */ }
    var url = new URL(window.location.href);
    if (form.dataset.defaultDate && form.dataset.date !== url.searchParams.get('date')) {
      url.searchParams.set('date', form.dataset.date);
    }
    window.location.replace(url.toString());
  }

  function flush() {
    if (flushing || navigator.onLine === false) return Promise.resolve();
    var mine = queued().filter(function (i) { return i.user_id === userId; });
    if (!mine.length) return Promise.resolve();
    flushing = true;
    var here = false;
    var chain = Promise.resolve(true);
    mine.forEach(function (item) {
      chain = chain.then(function (go) {
        if (!go) return false;
        return send(item).then(function (result) {
          if (result.state === 'ok') {
            drop(item);
            if (sameRoll(item, current())) here = true;
            return true;
          }
          if (result.state === 'refused') {
            drop(item);
            show(alertBox, fmt(T.refused, { what: describe(item), error: result.message }));
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
      if (here && !dirty) reloadSaved(T.sent);
      else if (here) show(statusBox, T.sent);
    }, function () {
      flushing = false;
    });
  }

  function current() {
    return {
      class_id: Number(form.dataset.classId),
      date: form.dataset.date,
      session: form.dataset.session
    };
  }

  // --- submit --------------------------------------------------------------------------

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (sending) return; // a double tap sends once
    var list = marks();
    if (unchanged(list)) {
      show(statusBox, T.noChange);
      return;
    }
    var roll = current();
    var base = field('base_version').value;
    var item = {
      user_id: userId,
      class_id: roll.class_id,
      class_name: T.className,
      date: roll.date,
      session: roll.session,
      queued_at: Date.now(),
      payload: {
        class_id: roll.class_id,
        date: roll.date,
        session: roll.session,
        client_id: field('client_id').value,
        base_version: base ? Number(base) : null,
        marks: list
      }
    };

    function keep() {
      try {
        enqueue(item);
      } catch (e) { // storage full or refused: say so, keep the marks on screen
        showError(T.keepFailed);
        return;
      }
      field('client_id').value = newId(); // a later change is another submission
      dirty = false;
      form.classList.remove('rc-dirty');
      show(statusBox, T.queued);
      showPending();
    }

    if (navigator.onLine === false) {
      keep();
      return;
    }
    sending = true;
    submitButton.disabled = true;
    show(statusBox, T.sending);
    send(item).then(function (result) {
      sending = false;
      submitButton.disabled = false;
      if (result.state === 'ok') {
        dirty = false;
        reloadSaved(T.saved);
      } else if (result.state === 'refused') {
        showError(result.message);
      } else {
        keep();
        if (result.state === 'login') show(alertBox, T.login);
      }
    });
  });

  // --- start ---------------------------------------------------------------------------------

  // A roll call of this very page still waiting on the phone: show its marks, not the
  // (older) ones the page came with.
  (function () {
    var here = queued().filter(function (i) {
      return i.user_id === userId && sameRoll(i, current());
    }).pop();
    if (!here) return;
    var byStudent = {};
    here.payload.marks.forEach(function (m) { byStudent[String(m.student_id)] = m; });
    rows.forEach(function (row) {
      var m = byStudent[row.dataset.student];
      codeSelect(row).value = m ? m.code : '';
      reasonSelect(row).value = m ? m.reason : 'unknown';
      paint(row);
    });
    count();
    show(statusBox, T.queued);
  })();

  try {
    var flash = sessionStorage.getItem('dentruong:rollcall:flash');
    if (flash) {
      sessionStorage.removeItem('dentruong:rollcall:flash');
      show(statusBox, flash);
    }
  } catch (e) { /* private mode */ }

  showPending();
  flush();
  window.addEventListener('online', flush);
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') flush();
  });
  setInterval(flush, RETRY_MS);

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register(form.dataset.sw).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      // The first visit was not served through the worker: ask it to keep this page now.
      var worker = registration.active;
      if (!worker) return;
      var channel = new MessageChannel();
      channel.port1.onmessage = function () {
        document.documentElement.dataset.offlineReady = 'yes';
      };
      worker.postMessage({ type: 'keep', urls: [window.location.href] }, [channel.port2]);
    }).catch(function () { /* no offline support: the page still works online */ });
  }
})();
