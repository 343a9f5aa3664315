// Staff pages: place pickers that fill in the next list without reloading the page, a note
// draft kept in this tab (so a note typed while the session ended is back after signing in),
// "select all" on the list, and the desk's keys: Alt (or Alt+Shift) with a letter, read from the
// key's place (event.code), so they work with a Khmer keyboard layout too. Each control a key
// reaches says so with data-shortcut and aria-keyshortcuts.
(function () {
  'use strict';

  // Choosing a province fills the district list (and a district the commune list) from the
  // server; nothing is submitted until the reader presses the form's button.
  function resetSelect(select, label) {
    while (select.options.length) select.remove(0);
    var first = document.createElement('option');
    first.value = '';
    first.textContent = label;
    select.appendChild(first);
  }
  document.querySelectorAll('select[data-children]').forEach(function (select) {
    var form = select.form;
    select.addEventListener('change', function () {
      var child = form.querySelector('select[name="' + select.getAttribute('data-children') + '"]');
      if (!child) return;
      // Everything below the changed list starts over.
      var parent = select;
      var below = child;
      while (below) {
        resetSelect(below, below === child && select.value ? (select.getAttribute('data-all') || '') : (parent.getAttribute('data-choose') || ''));
        var next = below.getAttribute('data-children');
        parent = below;
        below = next ? form.querySelector('select[name="' + next + '"]') : null;
      }
      if (!select.value) return;
      fetch('/staff/places?parent=' + encodeURIComponent(select.value), { headers: { accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (res) { return res.ok ? res.json() : []; })
        .then(function (places) {
          places.forEach(function (p) {
            var o = document.createElement('option');
            o.value = p.code;
            o.textContent = p.name;
            child.appendChild(o);
          });
        })
        .catch(function () { /* the list stays empty; the form still works with the province alone */ });
    });
  });

  // Note drafts: saved on every keystroke in sessionStorage (this tab only, gone when it closes).
  var store = null;
  try { store = window.sessionStorage; } catch (e) { store = null; }
  // A note the server confirmed saved (this message's, or the one "save and next" came from) is no draft any more.
  if (store) {
    document.querySelectorAll('[data-clear-draft]').forEach(function (el) {
      store.removeItem('staff-draft:' + el.getAttribute('data-clear-draft'));
    });
  }
  var noteForm = document.querySelector('form[data-draft]');
  if (noteForm) {
    var key = 'staff-draft:' + noteForm.getAttribute('data-draft');
    var text = noteForm.querySelector('textarea');
    if (store && text) {
      var draft = store.getItem(key);
      if (draft && !text.value) {
        text.value = draft;
        var shown = document.getElementById('note-restored');
        if (shown) {
          shown.textContent = noteForm.getAttribute('data-restored');
          shown.hidden = false;
        }
      }
      text.addEventListener('input', function () {
        if (text.value) store.setItem(key, text.value);
        else store.removeItem(key);
      });
    }
  }

  // "Select all on this page": ticks or clears every message's box of the bulk form.
  var pickAll = document.getElementById('pick-all');
  if (pickAll) {
    var picks = document.querySelectorAll('input.pick');
    pickAll.closest('label').hidden = false;
    pickAll.addEventListener('change', function () {
      picks.forEach(function (p) { p.checked = pickAll.checked; });
    });
    picks.forEach(function (p) {
      p.addEventListener('change', function () {
        var ticked = 0;
        picks.forEach(function (q) { if (q.checked) ticked += 1; });
        pickAll.checked = ticked === picks.length;
        pickAll.indeterminate = ticked > 0 && ticked < picks.length;
      });
    });
  }

  // The desk's keys: a player plays or pauses, a text box or list takes the focus, a button or link is pressed.
  document.addEventListener('keydown', function (e) {
    if (!e.altKey || e.ctrlKey || e.metaKey || e.repeat || !e.code) return;
    var target = document.querySelector('[data-shortcut="' + e.code + '"]');
    if (!target) return;
    e.preventDefault();
    var tag = target.tagName;
    if (tag === 'AUDIO') {
      if (target.paused) {
        var playing = target.play();
        if (playing && playing.catch) playing.catch(function () { /* the player shows why it cannot play */ });
      } else {
        target.pause();
      }
    } else if (tag === 'TEXTAREA' || tag === 'SELECT' || tag === 'INPUT') {
      target.focus();
    } else {
      target.click();
    }
  });
})();
