/* An export's progress page: ask the server how far the file is every two seconds, move the bar and the
 * count, and once the file is ready (or the export failed) load the page again, which then shows the
 * download link (or the error and a retry). Without this script the page has a "Check again" link. */
(function () {
  "use strict";

  var box = document.getElementById("export-progress");
  if (!box || !box.dataset.statusUrl) { return; }
  var bar = document.getElementById("export-bar");
  var count = document.getElementById("export-count");
  var INTERVAL = 2000;

  function describe(state) {
    if (state.rows_total === null) { return "Waiting to start."; }
    return state.rows_done.toLocaleString("en-US") + " of " + state.rows_total.toLocaleString("en-US") +
      (state.rows_total === 1 ? " row" : " rows") + " done (" + state.percent + "%).";
  }

  function check() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (state) {
        if (state.status !== "queued" && state.status !== "running") {
          window.location.reload();
          return;
        }
        if (bar) { bar.value = state.percent; bar.textContent = state.percent + "%"; }
        var text = describe(state);
        if (count && count.textContent !== text) { count.textContent = text; }
        window.setTimeout(check, INTERVAL);
      })
      .catch(function () { window.setTimeout(check, INTERVAL * 5); });  // offline or logged out: slower
  }

  window.setTimeout(check, INTERVAL);
})();
