// Progress of a background build (the study report, the dashboard's figures): polls the
// build's JSON status and reloads the page once the result is ready, or has failed.
(function () {
  "use strict";
  var box = document.querySelector("[data-build-status]");
  if (!box) return;
  var url = box.getAttribute("data-build-status");
  var bar = box.querySelector(".build-bar");
  var pct = box.querySelector(".build-percent");
  var text = box.querySelector(".build-text");
  var misses = 0;

  function show(s) {
    box.setAttribute("data-build-state", s.status);
    if (bar) { bar.value = s.percent; bar.textContent = s.percent + " %"; }
    if (pct) pct.textContent = s.percent + " %";
    if (text) text.textContent = s.stage;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("status " + r.status);
        return r.json();
      })
      .then(function (s) {
        misses = 0;
        show(s);
        if (s.status === "done" || s.status === "failed" || s.status === "missing") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        misses += 1;
        window.setTimeout(poll, Math.min(10000, 1000 * Math.pow(2, misses)));
      });
  }
  window.setTimeout(poll, 500);
})();
