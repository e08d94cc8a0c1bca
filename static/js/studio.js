/* The module editor: after a pause in typing, ask the server for the preview (the same renderer and
 * sanitizer trainees' pages use) and show it. Without this script the Preview button posts the form and the
 * page comes back with the preview. */
(function () {
  "use strict";

  var PAUSE_MS = 800;
  var form = document.querySelector("form.studio-editor");
  var target = document.getElementById("preview");
  if (!form || !target || !window.fetch) { return; }
  var timer = null;
  var sent = 0;

  function refresh() {
    var ticket = ++sent;
    var data = new FormData(form);
    data.delete("action");
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST", body: data, credentials: "same-origin", headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("preview " + response.status); }
      return response.text();
    }).then(function (html) {
      if (ticket !== sent) { return; } // an older answer after a newer request: keep the newer one
      // The server's HTML is sanitized (lms/markdown.py); parsed here without running anything in it.
      var parsed = new DOMParser().parseFromString(html, "text/html");
      target.replaceChildren.apply(target, Array.prototype.slice.call(parsed.body.childNodes));
    }).catch(function () { /* the Preview button still works */ });
  }

  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, PAUSE_MS);
  });
}());
