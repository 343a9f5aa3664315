// Messages list: choosing a province or district reloads the filter so the next list
// (districts of that province, communes of that district) is filled in by the server.
(function () {
  'use strict';
  var form = document.getElementById('message-filters');
  if (!form) return;
  form.querySelectorAll('select[data-clears]').forEach(function (select) {
    select.addEventListener('change', function () {
      select.getAttribute('data-clears').split(' ').forEach(function (name) {
        var child = form.querySelector('select[name="' + name + '"]');
        if (child) child.value = '';
      });
      form.submit();
    });
  });
})();
