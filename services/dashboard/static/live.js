// Keeps a page current without reloading it: when the server says something changed, fetch
// the page's fragment and swap it in. While a manager is typing into a form on the page, the
// swap waits (a banner says there is news) so nothing they typed is lost.
(function () {
  const main = document.getElementById("main");
  if (!main || !main.dataset.live || !window.EventSource) return;
  const region = document.getElementById("live-region");
  let dirty = false;
  let pending = false;
  let again = false; // news arrived while a fetch was under way: fetch once more after it
  const banner = document.createElement("button");
  banner.type = "button";
  banner.className = "secondary news";
  banner.hidden = true;
  banner.textContent = "New information on this page: show it";
  region.before(banner);
  region.addEventListener("input", () => { dirty = true; });
  region.addEventListener("submit", () => { dirty = false; });
  async function refresh(force) {
    if (pending) { again = true; return; }
    if (!force && (dirty || region.contains(document.activeElement))) { banner.hidden = false; return; }
    pending = true;
    try {
      const response = await fetch(main.dataset.refresh, { credentials: "same-origin" });
      if (response.ok) {
        region.innerHTML = await response.text();
        dirty = false;
        banner.hidden = true;
      }
    } finally {
      pending = false;
    }
    if (again) { again = false; refresh(false); }
  }
  banner.addEventListener("click", () => refresh(true));
  const source = new EventSource(main.dataset.live);
  source.addEventListener("changed", () => refresh(false));
  // Whatever changed between rendering the page and (re)connecting was announced to nobody:
  // catch up on every connection.
  source.addEventListener("open", () => refresh(false));
})();
