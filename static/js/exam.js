/* The exam page: autosave each answer as it changes, keep the navigation panel's states, count down
 * to the server's deadline (announcing it to screen readers at a few moments, not every second),
 * warn before the end, and submit when the time is up. Without this script the page still works:
 * each page has Save and navigation buttons that post the form. */
(function () {
  "use strict";

  var form = document.getElementById("exam-form");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var announcer = document.getElementById("exam-announcer");
  var alerter = document.getElementById("exam-alert");
  var timerBox = document.getElementById("exam-timer");
  var pending = {};   // position -> true while a change awaits saving
  var inFlight = {};  // position -> true while a request is out
  var timers = {};    // position -> debounce timer
  var lastSaveAt = 0;
  var submitting = false;
  var closed = false;     // the server said the attempt takes no more answers
  var finishing = false;  // the time is up on this page's clock

  function announce(text, urgent) {
    var region = urgent ? alerter : announcer;
    if (!region) { return; }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function clockTime(date) {
    return date.toISOString().substring(11, 19) + " UTC";
  }

  // -- autosave ---------------------------------------------------------------------------------

  function fieldsOf(fieldset) {
    var position = fieldset.getAttribute("data-position");
    var prefix = "a" + position;
    var fields = [];
    var flagged = false;
    Array.prototype.forEach.call(fieldset.querySelectorAll("input, select"), function (el) {
      if (el.name === "flag" + position) { flagged = el.checked; return; }
      if (el.name !== prefix && el.name.indexOf(prefix + ".") !== 0) { return; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      fields.push([el.name, el.value]);
    });
    return { position: parseInt(position, 10), fields: fields, flagged: flagged };
  }

  function setState(fieldset, state, text) {
    var line = fieldset.querySelector(".exam-save-state");
    if (line) {
      line.setAttribute("data-state", state);
      line.textContent = text;
    }
  }

  function setNav(number, answered, flagged) {
    var item = document.querySelector('[data-nav="' + number + '"]');
    if (!item) { return; }
    item.classList.toggle("exam-nav__item--answered", answered);
    item.classList.toggle("exam-nav__item--unanswered", !answered);
    item.classList.toggle("exam-nav__item--flagged", flagged);
    var current = item.classList.contains("exam-nav__item--current");
    item.setAttribute("aria-label", "Question " + number + ", " + (answered ? "answered" : "unanswered") +
      (flagged ? ", flagged" : "") + (current ? ", on this page" : ""));
  }

  function updateDeadline(iso) {
    if (timerBox && iso) { timerBox.setAttribute("data-deadline", iso); }
  }

  function save(fieldset, attempt) {
    var position = fieldset.getAttribute("data-position");
    if (closed) { return; }
    if (inFlight[position]) { pending[position] = true; return; }
    pending[position] = false;
    inFlight[position] = true;
    var number = parseInt(position, 10) + 1;
    setState(fieldset, "saving", "Saving…");
    var request = new XMLHttpRequest();
    request.open("POST", form.getAttribute("data-autosave-url"));
    request.setRequestHeader("Content-Type", "application/json");
    request.setRequestHeader("X-CSRFToken", csrf);
    request.timeout = 15000;
    request.onload = function () {
      inFlight[position] = false;
      var body = {};
      try { body = JSON.parse(request.responseText); } catch (e) { body = {}; }
      if (request.status === 200 && body.ok) {
        lastSaveAt = Date.now();
        setState(fieldset, body.answered ? "answered" : "unanswered",
          (body.answered ? "Answer saved at " : "Saved (no answer) at ") + clockTime(new Date(body.saved_at)) + ".");
        setNav(number, body.answered, body.flagged);
        updateDeadline(body.deadline);
        if (pending[position]) { save(fieldset, 0); }
      } else if (request.status === 409) {
        closed = true;
        setState(fieldset, "error", body.message || "This attempt no longer takes answers.");
        announce(body.message || "This attempt no longer takes answers.", true);
        window.setTimeout(function () { window.location.assign(body.redirect || window.location.href); }, 2500);
      } else if (request.status === 400 && body.error) {
        setState(fieldset, "error", "Not saved: " + (body.message || "the answer was refused") + ".");
        announce("Question " + number + " was not saved.", true);
      } else if (request.status === 401 || request.status === 403 || (request.status >= 300 && request.status < 400)) {
        setState(fieldset, "error", "Not saved: your session has ended. Log in again in another tab, then change the answer again.");
        announce("Question " + number + " was not saved: your session has ended.", true);
      } else {
        retry(fieldset, attempt);
      }
    };
    request.onerror = request.ontimeout = function () {
      inFlight[position] = false;
      retry(fieldset, attempt);
    };
    request.send(JSON.stringify(fieldsOf(fieldset)));
  }

  function retry(fieldset, attempt) {
    var position = fieldset.getAttribute("data-position");
    pending[position] = true;
    setState(fieldset, "error", "Not saved yet: the connection failed. Retrying… (or press Save answers)");
    if (attempt === 0) { announce("Question " + (parseInt(position, 10) + 1) + " is not saved yet; retrying.", false); }
    var delay = Math.min(30000, 2000 * Math.pow(2, Math.min(attempt, 4)));
    window.setTimeout(function () { if (pending[position]) { save(fieldset, attempt + 1); } }, delay);
  }

  function schedule(fieldset, delay) {
    var position = fieldset.getAttribute("data-position");
    pending[position] = true;
    window.clearTimeout(timers[position]);
    timers[position] = window.setTimeout(function () { save(fieldset, 0); }, delay);
  }

  function hasUnsaved() {
    return Object.keys(pending).some(function (k) { return pending[k] || inFlight[k]; });
  }

  if (form && form.getAttribute("data-autosave-url")) {
    Array.prototype.forEach.call(form.querySelectorAll(".exam-question"), function (fieldset) {
      fieldset.addEventListener("change", function () { schedule(fieldset, 0); });
      fieldset.addEventListener("input", function (event) {
        if (event.target.type === "text") { schedule(fieldset, 700); }
      });
    });
    form.addEventListener("submit", function () { submitting = true; });
    window.addEventListener("beforeunload", function (event) {
      if (!submitting && !closed && hasUnsaved()) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  // -- timer ------------------------------------------------------------------------------------

  if (!timerBox) { return; }
  var valueEl = document.getElementById("exam-timer-value");
  var warning = document.getElementById("exam-warning");
  var warningText = document.getElementById("exam-warning-text");
  var offset = Date.parse(timerBox.getAttribute("data-server-now")) - Date.now();
  var announced = {};
  var MARKS = [30, 15, 10, 5, 2, 1];  // minutes left worth announcing
  var initialLeft = null;

  function remainingSeconds() {
    var deadline = Date.parse(timerBox.getAttribute("data-deadline"));
    return Math.floor((deadline - (Date.now() + offset)) / 1000);
  }

  function format(seconds) {
    var s = Math.max(0, seconds);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return h + ":" + (m < 10 ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }

  function words(seconds) {
    var minutes = Math.ceil(seconds / 60);
    return minutes === 1 ? "1 minute" : minutes + " minutes";
  }

  function submitNow() {
    if (submitting) { return; }
    submitting = true;
    var post = document.createElement("form");
    post.method = "post";
    post.action = form.getAttribute("data-submit-url");
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = csrf;
    post.appendChild(token);
    document.body.appendChild(post);
    post.submit();
  }

  function timeUp() {
    announce("Time is up. Your saved answers are being submitted.", true);
    if (valueEl) { valueEl.textContent = "0:00:00"; }
    // Let answers on their way finish (the server accepts them during the grace), then submit.
    var waited = 0;
    (function flush() {
      if (hasUnsaved() && waited < 8000) {
        Array.prototype.forEach.call(document.querySelectorAll(".exam-question"), function (fieldset) {
          var p = fieldset.getAttribute("data-position");
          if (pending[p] && !inFlight[p]) { save(fieldset, 0); }
        });
        waited += 500;
        window.setTimeout(flush, 500);
      } else {
        submitNow();
      }
    }());
  }

  function tick() {
    var left = remainingSeconds();
    if (initialLeft === null) {
      initialLeft = left;
      MARKS.forEach(function (m) { if (m * 60 >= left) { announced[m] = true; } });
    }
    if (valueEl) { valueEl.textContent = format(left); }
    MARKS.forEach(function (m) {
      if (!announced[m] && left <= m * 60 && left > 0) {
        announced[m] = true;
        announce(words(left) + " remaining.", m <= 1);
      }
    });
    var warnAt = Math.min(300, Math.max(60, Math.floor(initialLeft / 4)));
    if (left <= warnAt && left > 0 && warning) {
      warning.hidden = false;
      timerBox.classList.add("exam-timer--low");
      warningText.textContent = "Less than " + words(left) + " left. Answers are saved as you go; the exam is submitted when the time is up.";
    }
    if (left <= 0 && !finishing) {
      finishing = true;
      timeUp();
      return;
    }
    window.setTimeout(tick, 1000 - ((Date.now() + offset) % 1000));
  }

  // Re-read the deadline now and then (an instructor may grant extra time during the attempt).
  var statusUrl = timerBox.getAttribute("data-status-url");
  window.setInterval(function () {
    if (closed || finishing || Date.now() - lastSaveAt < 60000) { return; }
    var request = new XMLHttpRequest();
    request.open("GET", statusUrl);
    request.onload = function () {
      if (request.status !== 200) { return; }
      try {
        var body = JSON.parse(request.responseText);
        var before = timerBox.getAttribute("data-deadline");
        if (body.deadline && body.deadline !== before) {
          updateDeadline(body.deadline);
          offset = Date.parse(body.now) - Date.now();
          announce("Your deadline changed: " + words(remainingSeconds()) + " remaining.", false);
        }
        if (body.status !== "open") { window.location.assign(form.getAttribute("data-result-url")); }
      } catch (e) { /* keep counting down from what we know */ }
    };
    request.send();
  }, 60000);

  tick();
}());
