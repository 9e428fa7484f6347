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

  // A 400 (bad input) or 409 (changed meanwhile, already there) answer to a form marked
  // data-swap-errors carries the errors to show (beside the fields, in the swapped fragment or out
  // of band): htmx would otherwise drop it. What it swaps, if anything, the server decides.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    var status = event.detail.xhr.status;
    if ((status === 400 || status === 409) && elt && elt.closest("[data-swap-errors]")) {
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

  // Escape in a form with a Cancel marked data-cancel (the notes and details editors) does what Cancel does:
  // closes it unsaved, and the swap puts focus back on the button that opened it.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented || event.isComposing) return;
    var form = event.target.closest && event.target.closest("form");
    var cancel = form && form.querySelector("[data-cancel]");
    if (!cancel) return;
    event.preventDefault();
    cancel.click();
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
    var byHand = function () {
      if (status) status.textContent = "Press Ctrl+C (⌘C) to copy what is selected.";
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(input.value).then(done, byHand);
    else byHand();
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

    // Keyboard: space plays/pauses (on a transcript line too: Enter or a click listens from it),
    // j/k move to the next/previous turn. Keys typed into a field, and space on any other button
    // or link (which clicks it), keep their usual meaning.
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      var target = event.target;
      if (target.closest("input, textarea, select, [contenteditable]")) return;
      if (event.key === " " && (list.contains(target) || !target.closest("button, a, audio"))) {
        event.preventDefault();
        togglePlay(audio);
      } else if (event.key === "j" || event.key === "k") {
        event.preventDefault();
        var from = current >= 0 ? current : indexAt(audio.currentTime);
        seek(event.key === "j" ? from + 1 : Math.max(from - 1, 0), !audio.paused);
      }
    });
  }

  // After a swap, focus goes where the user's eyes go: the first field with an error, else the
  // element the server marked (the new notes box, the next chip after a removal, the tag field).
  // Never away from a field the user has since started typing in elsewhere on the page.
  document.addEventListener("htmx:afterSettle", function (event) {
    var root = event.detail.elt;
    if (!root || !root.querySelector) return;
    var active = document.activeElement;
    if (active && !root.contains(active) && active.matches("input, textarea, select, [contenteditable]")) return;
    var target = root.querySelector("[aria-invalid='true']") || root.querySelector("[data-focus-after-swap]");
    if (target) target.focus();
  });

  // The tag field's suggestions: a combobox over a listbox htmx fills. The first suggestion is
  // highlighted; arrows move, Enter adds the highlighted one (never the half-typed text it
  // stands for), Escape closes the list so Enter adds exactly what was typed.
  function comboParts(input) {
    return { input: input, list: document.getElementById(input.getAttribute("aria-controls")) };
  }
  function comboOptions(list) { return Array.from(list.querySelectorAll("[role='option']")); }
  function comboHighlight(parts, option) {
    comboOptions(parts.list).forEach(function (o) { o.setAttribute("aria-selected", o === option ? "true" : "false"); });
    if (option) {
      parts.input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      parts.input.removeAttribute("aria-activedescendant");
    }
  }
  function comboOpen(parts, open) {
    var options = comboOptions(parts.list);
    open = open && options.length > 0 && parts.input.value.trim() !== "";
    parts.list.hidden = !open;
    parts.input.setAttribute("aria-expanded", open ? "true" : "false");
    comboHighlight(parts, open ? options[0] : null);
  }
  function comboPick(parts, option) {
    parts.input.value = option.getAttribute("data-value");
    comboOpen(parts, false);
    parts.input.form.requestSubmit();
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    var list = event.detail.target;
    if (list.getAttribute("role") !== "listbox") return;
    var input = document.querySelector("[aria-controls='" + list.id + "']");
    // Not when Escape closed the list since the last keystroke: these are the same suggestions.
    if (input && document.activeElement === input && !input.hasAttribute("data-combo-closed")) {
      comboOpen(comboParts(input), true);
    }
  });
  document.addEventListener("keydown", function (event) {
    var input = event.target.closest && event.target.closest("[data-combobox]");
    if (!input) return;
    var parts = comboParts(input);
    var options = comboOptions(parts.list);
    var current = parts.list.hidden ? -1 : options.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!options.length) return;
      event.preventDefault();
      if (parts.list.hidden) { comboOpen(parts, true); return; }
      var next = (current + (event.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
      comboHighlight(parts, options[next]);
    } else if (event.key === "Enter" && current >= 0) {
      event.preventDefault();
      comboPick(parts, options[current]);
    } else if (event.key === "Escape") {
      if (!parts.list.hidden) event.preventDefault();
      input.setAttribute("data-combo-closed", "");
      comboOpen(parts, false);
    }
  });
  document.addEventListener("input", function (event) {
    // While new suggestions load, the old ones no longer match what is typed: close them.
    if (!event.target.matches("[data-combobox]")) return;
    event.target.removeAttribute("data-combo-closed");
    comboOpen(comboParts(event.target), false);
  });
  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest("[role='option']");
    if (option && option.closest(".combo")) event.preventDefault(); // keep focus in the field
  });
  document.addEventListener("click", function (event) {
    var option = event.target.closest("[role='option']");
    var combo = option && option.closest(".combo");
    if (combo) comboPick(comboParts(combo.querySelector("[data-combobox]")), option);
  });
  document.addEventListener("focusout", function (event) {
    if (event.target.matches && event.target.matches("[data-combobox]")) comboOpen(comboParts(event.target), false);
  });

  function togglePlay(audio) {
    if (audio.paused) {
      var playing = audio.play();
      if (playing && playing.catch) playing.catch(function () {});
    } else {
      audio.pause();
    }
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds || 0));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  // The call page's player: play/pause, ±10 s, speed, and a seek bar of our own (the browser's
  // collapses into a menu on a narrow phone). Without JavaScript the browser's controls stay.
  function setUpPlayer(controls) {
    var audio = document.getElementById(controls.getAttribute("data-player-controls"));
    if (!audio || controls.dataset.ready) return;
    controls.dataset.ready = "1";
    var toggle = controls.querySelector("[data-player-action=toggle]");
    var seek = controls.querySelector("[data-player-seek]");
    var time = controls.querySelector("[data-player-time]");
    var speeds = Array.from(controls.querySelectorAll("[data-player-speed]"));
    var dragging = false;
    audio.controls = false;
    controls.hidden = false;

    function duration() {
      return isFinite(audio.duration) && audio.duration > 0 ? audio.duration : parseFloat(seek.max);
    }
    function show() {
      var total = duration();
      seek.max = String(Math.ceil(total));
      if (!dragging) seek.value = String(Math.floor(audio.currentTime));
      var text = clock(audio.currentTime) + " / " + clock(total);
      time.textContent = text;
      seek.setAttribute("aria-valuetext", clock(audio.currentTime) + " of " + clock(total));
      toggle.textContent = audio.paused ? "Play" : "Pause";
      toggle.setAttribute("aria-label", audio.paused ? "Play" : "Pause");
    }
    toggle.addEventListener("click", function () { togglePlay(audio); });
    controls.querySelectorAll("[data-player-skip]").forEach(function (button) {
      button.addEventListener("click", function () {
        var to = audio.currentTime + parseFloat(button.getAttribute("data-player-skip"));
        audio.currentTime = Math.min(Math.max(to, 0), duration());
        show();
      });
    });
    speeds.forEach(function (button) {
      button.addEventListener("click", function () {
        audio.playbackRate = parseFloat(button.getAttribute("data-player-speed"));
        speeds.forEach(function (b) { b.setAttribute("aria-pressed", b === button ? "true" : "false"); });
      });
    });
    seek.addEventListener("input", function () {
      dragging = true;
      time.textContent = clock(parseFloat(seek.value)) + " / " + clock(duration());
    });
    seek.addEventListener("change", function () {
      dragging = false;
      audio.currentTime = parseFloat(seek.value);
      show();
    });
    ["timeupdate", "play", "pause", "loadedmetadata", "durationchange", "seeked"].forEach(function (name) {
      audio.addEventListener(name, show);
    });
    show();
  }

  // Links to a moment of the recording (a comment's "at 1:05") seek in place when the player is here.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-seek]");
    var audio = document.getElementById("call-audio");
    if (!link || !audio || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    audio.currentTime = parseFloat(link.getAttribute("data-seek"));
    history.replaceState(history.state, "", link.href);
    var playing = audio.play();
    if (playing && playing.catch) playing.catch(function () {});
  });

  // "Now" beside a comment's moment: the player's current position.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-comment-now]");
    if (!button) return;
    var audio = document.getElementById(button.getAttribute("data-player-for"));
    var field = document.getElementById(button.getAttribute("data-comment-now"));
    if (audio && field) field.value = clock(audio.currentTime);
  });

  function init(root) {
    root.querySelectorAll("[data-player-controls]").forEach(setUpPlayer);
    root.querySelectorAll("[data-comment-now]").forEach(function (button) { button.hidden = false; });
    root.querySelectorAll("[data-player]").forEach(setUpTranscript);
    root.querySelectorAll("[data-tick-all]").forEach(function (box) { box.hidden = false; });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
})();
