// Staff pages: place pickers that fill in the next list without reloading the page, and a note
// draft kept in this tab, so a note typed while the session ended is back after signing in.
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
  var noteForm = document.querySelector('form[data-draft]');
  if (noteForm) {
    var key = 'staff-draft:' + noteForm.getAttribute('data-draft');
    var text = noteForm.querySelector('textarea');
    var store = null;
    try { store = window.sessionStorage; } catch (e) { store = null; }
    if (store && text) {
      if (noteForm.hasAttribute('data-note-saved')) {
        store.removeItem(key);
      } else {
        var draft = store.getItem(key);
        if (draft && !text.value) {
          text.value = draft;
          var shown = document.getElementById('note-restored');
          if (shown) {
            shown.textContent = noteForm.getAttribute('data-restored');
            shown.hidden = false;
          }
        }
      }
      text.addEventListener('input', function () {
        if (text.value) store.setItem(key, text.value);
        else store.removeItem(key);
      });
    }
  }
})();
