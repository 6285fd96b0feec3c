// Keeps a page current without reloading it: when the server says something changed, fetch
// the page's fragment and swap it in, keeping the reader's focus and scroll where they were.
(function () {
  const main = document.getElementById("main");
  if (!main || !main.dataset.live || !window.EventSource) return;
  const region = document.getElementById("live-region");
  let pending = false;
  async function refresh() {
    if (pending) return;
    pending = true;
    try {
      const response = await fetch(main.dataset.refresh, { credentials: "same-origin" });
      if (response.ok && !region.contains(document.activeElement)) {
        region.innerHTML = await response.text();
      } else if (response.ok) {
        region.dataset.stale = "true"; // do not pull a form from under someone typing in it
      }
    } finally {
      pending = false;
    }
  }
  const source = new EventSource(main.dataset.live);
  source.addEventListener("changed", refresh);
  document.addEventListener("focusout", () => { if (region.dataset.stale) { delete region.dataset.stale; refresh(); } });
})();
