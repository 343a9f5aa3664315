// The recording studio (src/staff/studio-pages.ts): per prompt row, record from the microphone
// with MediaRecorder (or choose a file), listen back, re-record, and save. The take is posted as
// is; the server runs the import pipeline and answers with what callers will hear, or why not.
(function () {
  'use strict';
  var csrf = document.querySelector('input[name="_csrf"]');
  var token = csrf ? csrf.value : '';
  // The words come from the staff catalog in the page's language (studio.js.* keys).
  var table = document.querySelector('table.studio-prompts');
  var messages = table ? JSON.parse(table.getAttribute('data-messages') || '{}') : {};
  var recordAgain = table ? table.getAttribute('data-record-again') : '';
  function say(key, vars) {
    return (messages[key] || key).replace(/\{([a-z]+)\}/g, function (all, name) { return vars && name in vars ? String(vars[name]) : all; });
  }

  function preferredType() {
    var types = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm', 'audio/mp4'];
    if (!window.MediaRecorder || !MediaRecorder.isTypeSupported) return '';
    for (var i = 0; i < types.length; i++) if (MediaRecorder.isTypeSupported(types[i])) return types[i];
    return '';
  }

  function setUp(row) {
    var record = row.querySelector('.record');
    var stop = row.querySelector('.stop');
    var save = row.querySelector('.save');
    var file = row.querySelector('.file');
    var take = row.querySelector('.take-audio');
    var result = row.querySelector('.result');
    var recorder = null;
    var chunks = [];
    var blob = null;
    var fileName = '';

    function useTake(b, name) {
      blob = b;
      fileName = name || '';
      if (take.src) URL.revokeObjectURL(take.src);
      take.src = URL.createObjectURL(b);
      take.hidden = false;
      save.disabled = false;
      result.textContent = say('listen-back');
    }

    record.addEventListener('click', function () {
      result.textContent = '';
      if (!navigator.mediaDevices || !window.MediaRecorder) {
        result.textContent = say('cannot-record');
        return;
      }
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        var type = preferredType();
        recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
        chunks = [];
        recorder.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
        recorder.onstop = function () {
          stream.getTracks().forEach(function (t) { t.stop(); });
          useTake(new Blob(chunks, { type: recorder.mimeType || type || 'audio/webm' }), '');
          record.disabled = false;
          record.textContent = recordAgain;
        };
        recorder.start();
        record.disabled = true;
        stop.disabled = false;
        save.disabled = true;
        result.textContent = say('recording');
      }).catch(function (err) {
        result.textContent = say('no-microphone', { error: err.name });
      });
    });

    stop.addEventListener('click', function () {
      if (recorder && recorder.state !== 'inactive') recorder.stop();
      stop.disabled = true;
    });

    file.addEventListener('change', function () {
      if (file.files && file.files[0]) useTake(file.files[0], file.files[0].name);
    });

    save.addEventListener('click', function () {
      if (!blob) return;
      save.disabled = true;
      result.textContent = say('saving');
      var headers = { 'x-csrf-token': token, 'content-type': blob.type || 'application/octet-stream' };
      if (fileName) headers['x-file-name'] = fileName;
      fetch(row.getAttribute('data-save-url'), { method: 'POST', headers: headers, body: blob, credentials: 'same-origin' })
        .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); })
        .then(function (r) {
          var text = r.body.message || say('not-saved-status', { status: r.status });
          if (r.body.warnings && r.body.warnings.length) text += say('warning', { warnings: r.body.warnings.join('; ') });
          result.textContent = text;
          row.setAttribute('data-saved', r.body.ok ? 'yes' : 'no');
          if (!r.body.ok) save.disabled = false;
        })
        .catch(function () {
          result.textContent = say('no-answer');
          save.disabled = false;
        });
    });
  }

  var rows = document.querySelectorAll('tr[data-prompt]');
  for (var i = 0; i < rows.length; i++) setUp(rows[i]);
})();
