// The recording studio's prompt page (src/staff/studio-pages.ts): record from the microphone with
// MediaRecorder (or choose a file), with a level meter and a timer while recording; listen back,
// record again, save. The take is posted as it is; the server runs the import pipeline and
// answers with what callers will hear, or why not, in the page's language.
(function () {
  'use strict';
  var box = document.querySelector('.recorder');
  if (!box) return;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute('content') : '';
  // The words come from the staff catalog in the page's language (studio.js.* keys).
  var messages = JSON.parse(box.getAttribute('data-messages') || '{}');
  function say(key, vars) {
    return (messages[key] || key).replace(/\{([a-z]+)\}/g, function (all, name) { return vars && name in vars ? String(vars[name]) : all; });
  }

  var record = box.querySelector('.record');
  var recordLabel = record.querySelector('.label');
  var stop = box.querySelector('.stop');
  var save = box.querySelector('.save');
  var file = box.querySelector('.file');
  var take = box.querySelector('.take-audio');
  var result = box.querySelector('.result');
  var level = box.querySelector('.level');
  var timer = box.querySelector('.timer');
  var nextMissing = document.querySelector('.next-missing');
  var recorder = null;
  var chunks = [];
  var blob = null;
  var fileName = '';
  var metering = null;

  function preferredType() {
    var types = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm', 'audio/mp4'];
    if (!window.MediaRecorder || !MediaRecorder.isTypeSupported) return '';
    for (var i = 0; i < types.length; i++) if (MediaRecorder.isTypeSupported(types[i])) return types[i];
    return '';
  }

  function clock(seconds) {
    var s = Math.floor(seconds);
    return Math.floor(s / 60) + ':' + (s % 60 < 10 ? '0' : '') + (s % 60);
  }

  // The level (peak of the last few milliseconds, 0 to 1) and the time since Record, while recording.
  function startMetering(stream) {
    var started = Date.now();
    var ticker = setInterval(function () { timer.textContent = clock((Date.now() - started) / 1000); }, 250);
    var Context = window.AudioContext || window.webkitAudioContext;
    var context = null;
    var frame = 0;
    if (Context) {
      context = new Context();
      var analyser = context.createAnalyser();
      analyser.fftSize = 1024;
      context.createMediaStreamSource(stream).connect(analyser);
      var samples = new Float32Array(analyser.fftSize);
      var loudest = 0;
      var draw = function () {
        analyser.getFloatTimeDomainData(samples);
        var peak = 0;
        for (var i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]));
        level.value = peak;
        loudest = Math.max(loudest, peak);
        level.setAttribute('data-loudest', loudest.toFixed(3));
        frame = requestAnimationFrame(draw);
      };
      draw();
    }
    return function () {
      clearInterval(ticker);
      if (frame) cancelAnimationFrame(frame);
      if (context) context.close();
      level.value = 0;
    };
  }

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
        if (metering) metering();
        metering = null;
        stream.getTracks().forEach(function (t) { t.stop(); });
        useTake(new Blob(chunks, { type: recorder.mimeType || type || 'audio/webm' }), '');
        record.disabled = false;
        recordLabel.textContent = box.getAttribute('data-record-again');
        box.classList.remove('recording');
        // The take is ready: Save is the next thing to press (the player is just before it).
        save.focus();
      };
      recorder.start();
      metering = startMetering(stream);
      box.classList.add('recording');
      record.disabled = true;
      stop.disabled = false;
      save.disabled = true;
      // The focused button is now disabled: the keyboard goes on from Stop.
      stop.focus();
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
    fetch(box.getAttribute('data-save-url'), { method: 'POST', headers: headers, body: blob, credentials: 'same-origin' })
      .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); })
      .then(function (r) {
        var text = r.body.message || say('not-saved-status', { status: r.status });
        if (r.body.warnings && r.body.warnings.length) text += say('warning', { warnings: r.body.warnings.join(' ') });
        result.textContent = text;
        box.setAttribute('data-saved', r.body.ok ? 'yes' : 'no');
        if (!r.body.ok) save.disabled = false;
        // Saved: on to the next prompt still to record.
        else if (nextMissing) nextMissing.focus();
      })
      .catch(function () {
        result.textContent = say('no-answer');
        save.disabled = false;
      });
  });
})();
