/* Ordering questions on the exam page (templates/exams/questions/ordering.html). Without this script
 * each item has a position select, and the page's Save button sends them. With it, each item also gets a
 * "Move up" and a "Move down" button: a move changes the list, sets every item's select to its new
 * place and fires a change event on the list, which exam.js's autosave sends like any other answer.
 * Choosing a position in a select moves the item there too. Focus stays on the control used, and each
 * move is said in the list's status line. Loaded before exam.js, so that answers exam.js puts back from
 * this browser's store ("exam:restored") are shown in their order. */
(function () {
  "use strict";

  function itemsOf(list) { return Array.prototype.slice.call(list.children); }

  function textOf(li) { return li.getAttribute("data-text"); }

  function statusOf(list) {
    var next = list.nextElementSibling;
    return next && next.classList.contains("exam-order__status") ? next : null;
  }

  function say(list, text) {
    var status = statusOf(list);
    if (!status) { return; }
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  // The first item cannot go up, the last cannot go down.
  function markEnds(list) {
    var all = itemsOf(list);
    all.forEach(function (li, i) {
      li.querySelector('[data-move="up"]').setAttribute("aria-disabled", i === 0 ? "true" : "false");
      li.querySelector('[data-move="down"]').setAttribute("aria-disabled", i === all.length - 1 ? "true" : "false");
    });
  }

  // Every select holds its item's place.
  function renumber(list) {
    itemsOf(list).forEach(function (li, i) { li.querySelector("select").value = String(i + 1); });
    markEnds(list);
  }

  // Show the items in the order their selects give (no position: last; ties keep the order on the page).
  function sortBySelects(list) {
    var all = itemsOf(list);
    var rank = function (li) { return parseInt(li.querySelector("select").value, 10) || all.length + 1; };
    all.map(function (li, i) { return { li: li, key: rank(li), i: i }; })
      .sort(function (a, b) { return a.key - b.key || a.i - b.i; })
      .forEach(function (entry) { list.appendChild(entry.li); });
    var answered = all.some(function (li) { return li.querySelector("select").value !== ""; });
    if (answered) { renumber(list); } else { markEnds(list); }
  }

  function moved(list, li) {
    var all = itemsOf(list);
    say(list, "\u201c" + textOf(li) + "\u201d moved to position " + (all.indexOf(li) + 1) + " of " + all.length + ".");
  }

  function move(list, li, step) {
    var all = itemsOf(list);
    var from = all.indexOf(li);
    var to = from + step;
    if (to < 0 || to >= all.length) {
      say(list, "\u201c" + textOf(li) + "\u201d is already " + (step < 0 ? "first." : "last."));
      return;
    }
    // The neighbour moves, not the item: the button that has focus never leaves the page.
    if (step < 0) { list.insertBefore(all[to], li.nextSibling); } else { list.insertBefore(all[to], li); }
    renumber(list);
    moved(list, li);
    list.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function button(label, direction, text) {
    var el = document.createElement("button");
    el.type = "button";
    el.className = "usa-button usa-button--outline width-auto margin-top-0 margin-left-1 exam-order__move";
    el.setAttribute("data-move", direction);
    el.setAttribute("aria-label", label + ": " + text);
    el.textContent = label;
    return el;
  }

  function setUp(list) {
    itemsOf(list).forEach(function (li) {
      var text = li.querySelector("label").textContent.replace(/^Position of /, "");
      li.setAttribute("data-text", text);
      li.appendChild(button("Move up", "up", text));
      li.appendChild(button("Move down", "down", text));
    });
    var hint = document.getElementById(list.getAttribute("aria-describedby"));
    if (hint) { hint.textContent += " Or move an item with its Move up and Move down buttons."; }
    sortBySelects(list);
    list.addEventListener("click", function (event) {
      var el = event.target.closest("[data-move]");
      if (!el || !list.contains(el)) { return; }
      event.preventDefault();
      move(list, el.closest("li"), el.getAttribute("data-move") === "up" ? -1 : 1);
    });
    // A position chosen in a select: the item goes there, the others close up (this runs before the
    // change reaches exam.js's autosave on the question, which then sends the renumbered selects).
    list.addEventListener("change", function (event) {
      var select = event.target;
      if (select.tagName !== "SELECT") { return; }
      var li = select.closest("li");
      var all = itemsOf(list);
      var to = parseInt(select.value, 10);
      if (to >= 1 && to <= all.length && all.indexOf(li) !== to - 1) {
        var rest = all.filter(function (other) { return other !== li; });
        list.insertBefore(li, rest[to - 1] || null);
        select.focus();
      }
      renumber(list);
      moved(list, li);
    });
  }

  var lists = document.querySelectorAll("ol[data-reorder]");
  Array.prototype.forEach.call(lists, setUp);
  // exam.js put answers kept in this browser back into a question's selects: show that order.
  document.addEventListener("exam:restored", function (event) {
    Array.prototype.forEach.call(event.target.querySelectorAll("ol[data-reorder]"), sortBySelects);
  });
}());
