/* Helpers shared by the pages that work without network (static/js/rollcall.js, the roll
 * call; static/js/visits.js, home visits): loaded before them, kept by the service worker
 * with them (attendance.views.SHELL_FILES). */
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

  window.DenTruongOffline = { fmt: fmt, newId: newId, vnToday: vnToday, dmy: dmy };
})();
