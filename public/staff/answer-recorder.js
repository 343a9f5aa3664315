// "Record a short answer" in a message's answer call: records from the microphone with
// MediaRecorder, then sends the recording to /staff/outbound/answer-recording; the server
// converts it for the telephone and keeps it as the message's draft answer, which the reloaded
// page offers to listen to before the call is confirmed. External file: the CSP forbids inline scripts.
(function () {
  'use strict';
  var buttons = document.querySelectorAll('button.record-answer');
  if (!buttons.length) return;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
  // The page's words in the reader's language (src/staff/i18n/messages.json, outbound.*).
  var holder = document.querySelector('[data-strings]');
  var S = JSON.parse((holder && holder.getAttribute('data-strings')) || '{}');
  var MAX_MS = 60000;

  function statusFor(messageId) {
    return document.querySelector('.record-status[data-message="' + messageId + '"]');
  }

  buttons.forEach(function (button) {
    var recorder = null;
    var chunks = [];
    var timer = null;
    var messageId = button.getAttribute('data-message');
    var status = statusFor(messageId);
    var say = function (text) { if (status) status.textContent = text; };

    function send(blob) {
      say(S.sending);
      fetch('/staff/outbound/answer-recording?messageId=' + encodeURIComponent(messageId), {
        method: 'POST',
        headers: { 'content-type': blob.type || 'application/octet-stream', 'x-csrf-token': csrf },
        body: blob,
        credentials: 'same-origin',
      }).then(function (res) {
        if (res.ok) { window.location.reload(); return; }
        return res.text().then(function (text) { say(text); button.disabled = false; });
      }).catch(function () {
        say(S.sendFailed);
        button.disabled = false;
      });
    }

    button.addEventListener('click', function () {
      if (recorder && recorder.state === 'recording') {
        recorder.stop();
        return;
      }
      if (!navigator.mediaDevices || !window.MediaRecorder) {
        say(S.cannotRecord);
        return;
      }
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        chunks = [];
        recorder = new MediaRecorder(stream);
        recorder.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
        recorder.onstop = function () {
          clearTimeout(timer);
          stream.getTracks().forEach(function (t) { t.stop(); });
          button.textContent = S.record;
          button.disabled = true;
          send(new Blob(chunks, { type: recorder.mimeType || 'audio/webm' }));
        };
        recorder.start();
        button.textContent = S.stop;
        say(S.recording);
        timer = setTimeout(function () { if (recorder.state === 'recording') recorder.stop(); }, MAX_MS);
      }).catch(function () {
        say(S.noMicrophone);
      });
    });
  });
})();
