// The blueprint editor's live check: after a change to the form, POST it (with its CSRF token) to the
// check URL and swap in the report the server renders. Without JavaScript the Check button does the same.
(function () {
  "use strict";
  var form = document.getElementById("blueprint-form");
  if (!form || !window.fetch) { return; }
  var timer = null;
  function refresh() {
    var body = new FormData(form);
    fetch(form.getAttribute("data-check-url"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": body.get("csrf_token"), "Accept": "text/html"}
    }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      // The report keeps its element (a live region), its content replaced by the server's new report.
      var report = document.getElementById("blueprint-report");
      var fresh = document.createElement("div");
      fresh.innerHTML = html || "";
      fresh = fresh.querySelector("#blueprint-report");
      if (fresh && report) { report.innerHTML = fresh.innerHTML; }
    }).catch(function () { /* the Check button still works */ });
  }
  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  }
  form.addEventListener("change", later);
  form.addEventListener("input", later);
})();
