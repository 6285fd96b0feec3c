// Progressive enhancement only: every page works without this script.
// 1. The error summary takes focus, so screen-reader and keyboard users hear it first.
// 2. The threshold guidance follows the answers as they are typed (the server applies the
//    council's policy: POST the form, unchanged, to its data-guidance address).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
    var progress = document.getElementById("progress");
    if (progress && progress.hasAttribute("data-refresh") && window.fetch) {
      // 3. A referral's progress is fetched again, not the page reloaded (no meta refresh).
      var every = 1000 * parseInt(progress.getAttribute("data-refresh"), 10);
      var poll = function () {
        fetch(window.location.href, { credentials: "same-origin" }).then(function (r) {
          return r.ok ? r.text() : null;
        }).then(function (html) {
          if (html === null) { return; }
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("progress");
          if (fresh) { progress.innerHTML = fresh.innerHTML; }
          if (fresh && fresh.hasAttribute("data-refresh")) { window.setTimeout(poll, every); }
        }).catch(function () { window.setTimeout(poll, every); });
      };
      window.setTimeout(poll, every);
    }
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
