/* The exam page: autosave each answer as it changes (and keep it in this browser until the server has
 * it), keep the navigation panel's states, count down to the server's deadline (announcing it to screen
 * readers at a few moments, not every second, and never moving focus), check in with the server so the
 * session lasts as long as the attempt, say at once when the session has ended, and submit when the time
 * is up. Without this script the page still works: each page has Save and navigation buttons that post
 * the form. */
(function () {
  "use strict";

  var STORE_PREFIX = "lms-exam-";

  // -- answers kept in this browser until the server acknowledges them ----------------------------

  function storeKey(attemptId) { return STORE_PREFIX + attemptId; }

  function readStore(attemptId) {
    try {
      var entries = JSON.parse(window.localStorage.getItem(storeKey(attemptId)) || "{}");
      return entries && typeof entries === "object" ? entries : {};
    } catch (e) { return {}; }
  }

  function writeStore(attemptId, entries) {
    try {
      if (Object.keys(entries).length) {
        window.localStorage.setItem(storeKey(attemptId), JSON.stringify(entries));
      } else {
        window.localStorage.removeItem(storeKey(attemptId));
      }
    } catch (e) { /* storage full or disabled: the server copy is what counts */ }
  }

  // The result page: the attempt is finished, nothing kept for it is needed any more.
  var finished = document.getElementById("exam-finished");
  if (finished) {
    writeStore(finished.getAttribute("data-attempt"), {});
    return;
  }

  var form = document.getElementById("exam-form");
  if (!form) { return; }
  var attemptId = form.getAttribute("data-attempt");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var announcer = document.getElementById("exam-announcer");
  var alerter = document.getElementById("exam-alert");
  var timerBox = document.getElementById("exam-timer");
  var timeZone = timerBox ? timerBox.getAttribute("data-timezone") : "";
  var autosaveUrl = form.getAttribute("data-autosave-url");
  var pending = {};   // position -> true while a change awaits saving
  var inFlight = {};  // position -> true while a request is out
  var timers = {};    // position -> debounce timer
  var confirmOnSave = {};  // position -> true when Enter asked for the save (say when it is done)
  var lastContact = Date.now();  // the last request the server counted as activity
  var submitting = false;
  var closed = false;         // the server said the attempt takes no more answers
  var finishing = false;      // the time is up on this page's clock
  var sessionEnded = false;   // the server said the log-in session has ended

  function announce(text, urgent) {
    var region = urgent ? alerter : announcer;
    if (!region) { return; }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function clockTime(date, seconds) {
    var options = { hour: "numeric", minute: "2-digit", timeZoneName: "short" };
    if (seconds) { options.second = "2-digit"; }
    if (timeZone) { options.timeZone = timeZone; }
    try {
      return date.toLocaleTimeString("en-US", options);
    } catch (e) {
      return date.toISOString().substring(11, seconds ? 19 : 16) + " UTC";
    }
  }

  function remember(body) {
    var entries = readStore(attemptId);
    entries[body.position] = { fields: body.fields, flagged: body.flagged };
    writeStore(attemptId, entries);
  }

  function forget(body) {
    // Only what the server acknowledged: a newer change made meanwhile stays kept.
    var entries = readStore(attemptId);
    var kept = entries[body.position];
    if (kept && JSON.stringify(kept) === JSON.stringify({ fields: body.fields, flagged: body.flagged })) {
      delete entries[body.position];
      writeStore(attemptId, entries);
    }
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

  function fillIn(fieldset, entry) {
    // Put kept answers back into the page's controls (after a new log-in, or a reload).
    var position = fieldset.getAttribute("data-position");
    var values = {};
    entry.fields.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
    Array.prototype.forEach.call(fieldset.querySelectorAll("input, select"), function (el) {
      if (el.name === "flag" + position) { el.checked = !!entry.flagged; return; }
      var given = values[el.name] || [];
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = given.indexOf(el.value) !== -1;
      } else {
        el.value = given.length ? given[0] : "";
      }
    });
    // A control that shows its values in some other way (an ordering list) redraws itself.
    fieldset.dispatchEvent(new CustomEvent("exam:restored", { bubbles: true }));
  }

  function setState(fieldset, state, text) {
    var line = fieldset && fieldset.querySelector(".exam-save-state");
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

  function fieldsetAt(position) {
    return form.querySelector('.exam-question[data-position="' + position + '"]');
  }

  function keptText() {
    return "Not saved yet: your session has ended. Kept in this browser until you log in again.";
  }

  // Send one question's answer; ``fieldset`` is null for a kept answer of another page.
  function send(body, fieldset, attempt) {
    var position = String(body.position);
    var number = body.position + 1;
    inFlight[position] = true;
    setState(fieldset, "saving", "Saving…");
    var request = new XMLHttpRequest();
    request.open("POST", autosaveUrl);
    request.setRequestHeader("Content-Type", "application/json");
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("X-CSRFToken", csrf);
    request.timeout = 15000;
    request.onload = function () {
      inFlight[position] = false;
      var reply = {};
      try { reply = JSON.parse(request.responseText); } catch (e) { reply = {}; }
      if (request.status === 200 && reply.ok) {
        lastContact = Date.now();
        forget(body);
        setState(fieldset, reply.answered ? "answered" : "unanswered",
          (reply.answered ? "Answer saved at " : "Saved (no answer) at ") + clockTime(new Date(reply.saved_at), true) + ".");
        setNav(number, reply.answered, reply.flagged);
        updateDeadline(reply.deadline);
        if (confirmOnSave[position]) {
          confirmOnSave[position] = false;
          announce("Question " + number + (reply.answered ? ": answer saved." : ": saved, no answer."), false);
        }
        if (pending[position] && fieldset) { save(fieldset, 0); }
      } else if (request.status === 401) {
        pending[position] = true;
        setState(fieldset, "error", keptText());
        endSession();
      } else if (request.status === 400 && reply.error === "token") {
        // The page predates a new log-in (in another tab): fetch the session's token, then try again.
        pending[position] = true;
        checkIn(function () { if (pending[position]) { resend(body, fieldset, attempt + 1); } });
      } else if (request.status === 409) {
        if (!fieldset) { forget(body); return; }  // a kept answer the attempt no longer takes
        closed = true;
        forget(body);
        setState(fieldset, "error", reply.message || "This attempt no longer takes answers.");
        announce(reply.message || "This attempt no longer takes answers.", true);
        window.setTimeout(function () { window.location.assign(reply.redirect || window.location.href); }, 2500);
      } else if (request.status === 400 && reply.error) {
        forget(body);
        setState(fieldset, "error", "Not saved: " + (reply.message || "the answer was refused") + ".");
        announce("Question " + number + " was not saved.", true);
      } else {
        retry(body, fieldset, attempt);
      }
    };
    request.onerror = request.ontimeout = function () {
      inFlight[position] = false;
      retry(body, fieldset, attempt);
    };
    request.send(JSON.stringify(body));
  }

  function resend(body, fieldset, attempt) {
    if (fieldset) { save(fieldset, attempt); } else { send(body, null, attempt); }
  }

  function save(fieldset, attempt) {
    var position = fieldset.getAttribute("data-position");
    var body = fieldsOf(fieldset);
    remember(body);
    if (closed) { return; }
    if (sessionEnded) { pending[position] = true; setState(fieldset, "error", keptText()); return; }
    if (inFlight[position]) { pending[position] = true; return; }
    pending[position] = false;
    send(body, fieldset, attempt);
  }

  function retry(body, fieldset, attempt) {
    var position = String(body.position);
    pending[position] = true;
    setState(fieldset, "error", "Not saved yet: the connection failed. Retrying… (or press Save answers)");
    if (attempt === 0) { announce("Question " + (body.position + 1) + " is not saved yet; retrying.", false); }
    var delay = Math.min(30000, 2000 * Math.pow(2, Math.min(attempt, 4)));
    window.setTimeout(function () { if (pending[position] && !sessionEnded) { resend(body, fieldset, attempt + 1); } }, delay);
  }

  function schedule(fieldset, delay) {
    var position = fieldset.getAttribute("data-position");
    pending[position] = true;
    remember(fieldsOf(fieldset));  // kept at once, before the debounce: nothing typed is lost
    window.clearTimeout(timers[position]);
    timers[position] = window.setTimeout(function () { save(fieldset, 0); }, delay);
  }

  function hasUnsaved() {
    return Object.keys(pending).some(function (k) { return pending[k] || inFlight[k]; });
  }

  // Everything kept in this browser and not yet acknowledged goes to the server (after a new log-in,
  // a reload, or a page of the attempt other than the one it was typed on).
  function flushKept() {
    if (!autosaveUrl) { return; }
    var entries = readStore(attemptId);
    Object.keys(entries).forEach(function (position) {
      var entry = entries[position];
      if (!entry || !Array.isArray(entry.fields) || inFlight[position]) { return; }
      var fieldset = fieldsetAt(position);
      if (fieldset) {
        fillIn(fieldset, entry);
        save(fieldset, 0);
      } else {
        pending[position] = true;
        send({ position: parseInt(position, 10), fields: entry.fields, flagged: !!entry.flagged }, null, 0);
      }
    });
  }

  if (autosaveUrl) {
    Array.prototype.forEach.call(form.querySelectorAll(".exam-question"), function (fieldset) {
      fieldset.addEventListener("change", function () { schedule(fieldset, 0); });
      fieldset.addEventListener("input", function (event) {
        if (event.target.type === "text") { schedule(fieldset, 700); }
      });
    });
    // Enter in an answer saves it where it is (the form's own default, without this script, is "Save
    // answers" for the page); it never submits the form or moves to another question.
    form.addEventListener("keydown", function (event) {
      var el = event.target;
      if (event.key !== "Enter" || el.tagName !== "INPUT") { return; }
      var fieldset = el.closest(".exam-question");
      if (!fieldset) { return; }
      event.preventDefault();
      confirmOnSave[fieldset.getAttribute("data-position")] = true;
      schedule(fieldset, 0);
    });
    form.addEventListener("submit", function () { submitting = true; });
    window.addEventListener("beforeunload", function (event) {
      // After the session ended the answers are kept in this browser: leaving to log in loses nothing.
      if (!submitting && !closed && !sessionEnded && hasUnsaved()) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  // -- the log-in session -------------------------------------------------------------------------

  var endedBox = document.getElementById("exam-session-ended");

  function endSession() {
    if (sessionEnded) { return; }
    sessionEnded = true;
    if (endedBox) { endedBox.hidden = false; }
    announce("Your session has ended. Your answers stay on this page. Log in again to continue the exam.", true);
    Object.keys(pending).forEach(function (position) {
      if (pending[position]) { setState(fieldsetAt(position), "error", keptText()); }
    });
  }

  function sessionBack() {
    if (!sessionEnded) { return; }
    sessionEnded = false;
    if (endedBox) { endedBox.hidden = true; }
    announce("You are logged in again. Your answers are being saved.", false);
    flushKept();
  }

  if (!timerBox) { flushKept(); return; }

  var valueEl = document.getElementById("exam-timer-value");
  var warning = document.getElementById("exam-warning");
  var warningText = document.getElementById("exam-warning-text");
  var offset = Date.parse(timerBox.getAttribute("data-server-now")) - Date.now();
  var statusUrl = timerBox.getAttribute("data-status-url");
  var checkInMs = 1000 * (parseInt(timerBox.getAttribute("data-check-in"), 10) || 60);
  var sessionEnds = Date.parse(timerBox.getAttribute("data-session-ends") || "");
  var sessionWarning = document.getElementById("exam-session-warning");
  var sessionWarningText = document.getElementById("exam-session-warning-text");
  var sessionWarned = false;
  var announced = {};
  var MARKS = [30, 15, 10, 5, 2, 1];  // minutes left worth announcing
  var SESSION_WARNING = 5 * 60 * 1000;  // before the session's absolute limit
  var initialLeft = null;

  function serverNow() { return Date.now() + offset; }

  function remainingSeconds() {
    var deadline = Date.parse(timerBox.getAttribute("data-deadline"));
    return Math.floor((deadline - serverNow()) / 1000);
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

  // Check in with the server: while the attempt is open this keeps the session alive; the answer also
  // says whether the session has ended, a changed deadline, and the session's current form token.
  function checkIn(then) {
    var request = new XMLHttpRequest();
    request.open("GET", statusUrl);
    request.setRequestHeader("Accept", "application/json");
    request.timeout = 15000;
    request.onload = function () {
      if (request.status === 401) { endSession(); return; }
      if (request.status !== 200) { return; }
      var body;
      try { body = JSON.parse(request.responseText); } catch (e) { return; }
      lastContact = Date.now();
      if (body.csrf) { csrf = body.csrf; }
      sessionBack();
      var before = timerBox.getAttribute("data-deadline");
      if (body.deadline && body.deadline !== before) {
        updateDeadline(body.deadline);
        offset = Date.parse(body.now) - Date.now();
        announce("Your deadline changed: " + words(remainingSeconds()) + " remaining.", false);
      }
      if (body.status !== "open" && !submitting) {
        submitting = true;
        window.location.assign(form.getAttribute("data-result-url"));
        return;
      }
      if (then) { then(); }
    };
    request.send();
  }

  window.setInterval(function () {
    if (closed || finishing) { return; }
    // An autosave counts as activity too: no need to check in right after one (unless the session ended).
    if (!sessionEnded && Date.now() - lastContact < checkInMs - 1000) { return; }
    checkIn();
  }, checkInMs);
  // Back to the page (a laptop woken, another tab left): learn at once whether the session still holds.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && !closed && !finishing) { checkIn(); }
  });

  function watchSession() {
    if (isNaN(sessionEnds)) { return; }
    var deadline = Date.parse(timerBox.getAttribute("data-deadline"));
    var left = sessionEnds - serverNow();
    if (sessionEnds >= deadline) { return; }  // the session outlasts the exam
    if (!sessionWarned && left <= SESSION_WARNING && left > 0 && sessionWarning) {
      sessionWarned = true;
      sessionWarning.hidden = false;
      sessionWarningText.textContent = "Your session reaches its time limit at " + clockTime(new Date(sessionEnds), false) +
        ", before this exam ends. Your answers are saved as you go: when the session ends, log in again to continue.";
      announce("Your session ends in " + words(left / 1000) + ". Your answers are saved as you go.", false);
    }
    if (left <= 0 && !sessionEnded) { checkIn(); sessionEnds = NaN; }
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
    // Let answers on their way finish (the server accepts them during the grace), then submit. With
    // the session ended the server sends the page to log in, and from there to the result.
    var waited = 0;
    (function flush() {
      if (!sessionEnded && hasUnsaved() && waited < 8000) {
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
    watchSession();
    if (left <= 0 && !finishing) {
      finishing = true;
      timeUp();
      return;
    }
    window.setTimeout(tick, 1000 - (serverNow() % 1000));
  }

  flushKept();
  tick();
}());
