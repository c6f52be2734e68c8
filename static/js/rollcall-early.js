/* Đến Trường — run before the roll call form is drawn (loaded without defer, see
 * templates/attendance/roll_call.html): the page is drawn for JavaScript at once; if
 * rollcall.js then fails to load, it goes back to the plain form. A file rather than an
 * inline script: the Content-Security-Policy allows scripts from our own static files only
 * (docs/decisions/0011-accounts-security.md).
 */
(function () {
  'use strict';
  var root = document.documentElement;
  root.classList.add('js');
  // A script that fails to load fires 'error' on its element; it does not bubble, so listen
  // in the capture phase.
  window.addEventListener('error', function (event) {
    var target = event.target;
    if (target && target.id === 'rollcall-script') {
      root.classList.remove('js');
    }
  }, true);
})();
