// Progressive enhancement only: every page works without this script.
// 1. The error summary takes focus, so screen-reader and keyboard users hear it first.
// 2. The threshold guidance follows the answers as they are typed (the server applies the
//    council's policy: POST the form, unchanged, to its data-guidance address).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
    var form = document.querySelector("form[data-guidance]");
    var panel = document.getElementById("guidance");
    if (!form || !panel || !window.fetch) { return; }
    var timer = null;
    var asked = 0;
    function refresh() {
      var mine = ++asked;
      fetch(form.getAttribute("data-guidance"), {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "guidance" }
      }).then(function (response) {
        return response.ok ? response.text() : null;
      }).then(function (html) {
        if (html !== null && mine === asked) { panel.innerHTML = html; }
      }).catch(function () { /* the guidance stays as it was; the form still works */ });
    }
    function soon() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 300);
    }
    form.addEventListener("change", soon);
    form.addEventListener("input", soon);
  });
})();
