// Breesy desk: the few behaviours the staff pages need, on top of htmx. No inline script anywhere:
// the Content-Security-Policy forbids it, so everything is wired here by data attributes.
(function () {
  "use strict";

  // Filter forms: drop empty fields from htmx GETs so the pushed (shareable) URL stays short.
  document.addEventListener("htmx:configRequest", function (event) {
    var data = event.detail.formData;
    if (event.detail.verb !== "get" || !data) return;
    Array.from(data.keys()).forEach(function (key) {
      if (data.getAll(key).every(function (v) { return v === ""; })) data.delete(key);
    });
  });

  // A 400 answer to a form marked data-swap-errors carries the errors to show (out of band, beside
  // the fields): htmx would otherwise drop it. What it swaps, if anything, the server decides.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (event.detail.xhr.status === 400 && elt && elt.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After a swap asked for by an element with data-focus-after="#id" (a pager link, a batch
  // action), focus goes to that element, where the user's eyes go next.
  document.addEventListener("htmx:afterSettle", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    var selector = elt && elt.getAttribute("data-focus-after");
    var target = selector && document.querySelector(selector);
    if (target) target.focus({ preventScroll: true });
  });

  // "Tick every call on this page" (only with JavaScript: it is hidden otherwise).
  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-tick-all]")) return;
    var form = event.target.form;
    form.querySelectorAll("input[type=checkbox][name=calls]").forEach(function (box) {
      box.checked = event.target.checked;
    });
  });

  // The franchise switcher submits on change; its button stays for keyboard and no-JS users.
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
  });

  // Forms that ask before doing something that cannot be undone (revoking a token).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Copy buttons: data-copy="#selector" of an input whose value is copied.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var input = document.querySelector(button.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    input.select();
    var done = function () {
      button.textContent = "Copied";
      if (status) status.textContent = "Copied to the clipboard.";
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        if (status) status.textContent = "Press Ctrl+C (⌘C) to copy the selected token.";
      });
    } else {
      if (status) status.textContent = "Press Ctrl+C (⌘C) to copy the selected token.";
    }
  });

  // The call page: transcript turns seek the player; the turn being spoken is highlighted.
  function setUpTranscript(list) {
    var audio = document.getElementById(list.getAttribute("data-player"));
    if (!audio || list.dataset.ready) return;
    list.dataset.ready = "1";
    var turns = Array.from(list.querySelectorAll("[data-start]"));
    var starts = turns.map(function (t) { return parseFloat(t.getAttribute("data-start")); });
    var current = -1;

    function indexAt(time) {
      var found = -1;
      for (var i = 0; i < starts.length; i++) {
        if (starts[i] <= time + 0.05) found = i; else break;
      }
      return found;
    }

    function highlight(index) {
      if (index === current) return;
      if (current >= 0) {
        turns[current].classList.remove("is-current");
        turns[current].removeAttribute("aria-current");
      }
      current = index;
      if (index < 0) return;
      turns[index].classList.add("is-current");
      turns[index].setAttribute("aria-current", "true");
      if (!audio.paused) turns[index].scrollIntoView({ block: "nearest", behavior: "smooth" });
    }

    function seek(index, play) {
      if (index < 0 || index >= turns.length) return;
      audio.currentTime = starts[index];
      highlight(index);
      turns[index].focus({ preventScroll: false });
      if (play) {
        var playing = audio.play();
        if (playing && playing.catch) playing.catch(function () {});
      }
    }

    turns.forEach(function (turn, index) {
      turn.addEventListener("click", function () { seek(index, true); });
    });
    audio.addEventListener("timeupdate", function () { highlight(indexAt(audio.currentTime)); });
    audio.addEventListener("seeked", function () { highlight(indexAt(audio.currentTime)); });

    // Keyboard: space plays/pauses, j/k move to the next/previous turn. Keys typed into a field,
    // and space on a focused button (which clicks it), keep their usual meaning.
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      var target = event.target;
      if (target.closest("input, textarea, select, [contenteditable]")) return;
      if (event.key === " " && !target.closest("button, a, audio")) {
        event.preventDefault();
        if (audio.paused) audio.play(); else audio.pause();
      } else if (event.key === "j" || event.key === "k") {
        event.preventDefault();
        var from = current >= 0 ? current : indexAt(audio.currentTime);
        seek(event.key === "j" ? from + 1 : Math.max(from - 1, 0), !audio.paused);
      }
    });
  }

  function init(root) {
    root.querySelectorAll("[data-player]").forEach(setUpTranscript);
    root.querySelectorAll("[data-tick-all]").forEach(function (box) { box.hidden = false; });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
})();
