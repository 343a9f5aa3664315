// Try the line: a keypad that drives a test call through the hotline's real webhooks via
// /staff/try-the-line/calls, and plays every prompt the hotline answers with, in order.
// An external file because the staff CSP forbids inline scripts.
(function () {
  'use strict';
  var phone = document.getElementById('phone');
  if (!phone) return;
  // The page's words in the reader's language, from the staff message catalog.
  var S = JSON.parse(phone.getAttribute('data-strings') || '{}');
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
  var statusEl = document.getElementById('call-status');
  var nowPlaying = document.getElementById('now-playing');
  var typedEl = document.getElementById('typed');
  var transcript = document.getElementById('transcript');
  var recordHint = document.getElementById('record-hint');
  var startBtn = document.getElementById('call-start');
  var silenceBtn = document.getElementById('call-silence');
  var hangupBtn = document.getElementById('call-hangup');
  var firstTime = document.getElementById('first-time');
  var keys = phone.querySelectorAll('button.key');
  var audio = new Audio();
  audio.preload = 'auto';

  var call = null; // { sid, expects, gather, record }
  var queue = [];
  var typed = '';
  var timer = null;
  var recordingSince = 0;
  var busy = false;
  var played = 0;

  function setState(state, text) {
    phone.setAttribute('data-state', state);
    if (text !== undefined) statusEl.textContent = text;
  }
  function setKeys(enabled) {
    keys.forEach(function (k) { k.disabled = !enabled; });
    silenceBtn.disabled = !enabled;
    hangupBtn.disabled = !call || call.expects === 'ended';
  }
  function clearTimer() { if (timer) { clearTimeout(timer); timer = null; } }

  function api(path, body) {
    busy = true;
    setKeys(false);
    return fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(body),
    }).then(function (res) {
      if (res.status === 401) throw new Error(S.sessionEnded);
      if (!res.ok) return res.text().then(function (t) { throw new Error(t.trim() || ('HTTP ' + res.status)); });
      return res.json();
    }).finally(function () { busy = false; });
  }

  function fail(err) {
    clearTimer();
    stopPrompts();
    setState('error', S.problem + ' ' + err.message);
    setKeys(false);
    startBtn.disabled = false;
  }

  function addTranscript(text, cls, lang) {
    var li = document.createElement('li');
    if (cls) li.className = cls;
    li.textContent = text;
    if (lang) li.lang = lang;
    transcript.appendChild(li);
    return li;
  }

  function promptItem(p) {
    var li = document.createElement('li');
    li.className = 'pending';
    var code = document.createElement('code');
    code.textContent = p.id + ' [' + p.language + ']';
    li.appendChild(code);
    if (p.text) {
      var span = document.createElement('span');
      span.lang = p.language;
      span.textContent = ' ' + p.text;
      li.appendChild(span);
    }
    transcript.appendChild(li);
    return li;
  }

  /** Stops the prompts; those not yet played are marked skipped. */
  function stopPrompts() {
    audio.pause();
    queue.forEach(function (item) { item.li.className = 'skipped'; item.li.setAttribute('data-flag', S.skipped); });
    queue = [];
    var current = transcript.querySelector('li.playing');
    if (current) { current.className = 'skipped'; current.setAttribute('data-flag', S.skipped); }
  }

  function onTurn(view) {
    call.expects = view.expects;
    call.gather = view.gather;
    call.record = view.record;
    typed = '';
    typedEl.textContent = '';
    // Every prompt of the turn is listed at once; a key pressed while they play skips the rest (barge-in).
    view.prompts.forEach(function (p) { queue.push({ prompt: p, li: promptItem(p) }); });
    if (!view.prompts.length) addTranscript('(the hotline played nothing)', 'muted');
    playNext();
  }

  function playNext() {
    clearTimer();
    var item = queue.shift();
    if (!item) return waitForCaller();
    var p = item.prompt;
    var li = item.li;
    setState('playing', S.playing);
    setKeys(call.expects === 'keys' || call.expects === 'record');
    li.className = 'playing';
    nowPlaying.textContent = p.id;
    audio.onended = function () { li.className = 'played'; played += 1; phone.setAttribute('data-played', String(played)); playNext(); };
    audio.onerror = function () { li.className = 'missing'; li.setAttribute('data-flag', S.missing); li.title = S.missing + ': ' + p.url; playNext(); };
    audio.src = p.url;
    var started = audio.play();
    if (started && started.catch) started.catch(function () { /* onerror handles missing files */ });
  }

  function waitForCaller() {
    nowPlaying.textContent = '';
    if (call.expects === 'ended') {
      setState('ended', S.hungUp);
      call = null;
      setKeys(false);
      startBtn.disabled = false;
      return;
    }
    if (call.expects === 'record') {
      recordingSince = Date.now();
      recordHint.hidden = false;
      setState('recording', S.recording);
      setKeys(true);
      // Like the carrier, stop at the maximum length even if # is never pressed.
      var max = (call.record && call.record.maxLengthSeconds) || 120;
      timer = setTimeout(function () { send({ action: 'record', seconds: max }, '(recorded until the time limit)'); }, max * 1000);
      return;
    }
    setState('waiting', S.pressKey);
    setKeys(true);
    startTimer();
  }

  function startTimer() {
    clearTimer();
    var seconds = (call.gather && call.gather.timeoutSeconds) || 5;
    timer = setTimeout(function () {
      if (typed) send({ action: 'keys', digits: typed }, typed);
      else send({ action: 'silence' }, '(silence)');
    }, seconds * 1000);
  }

  function send(body, label) {
    clearTimer();
    stopPrompts();
    recordHint.hidden = true;
    addTranscript(S.you + ' ' + label, 'caller');
    setState('sending', S.sending);
    api('/staff/try-the-line/calls/' + encodeURIComponent(call.sid), body).then(onTurn, fail);
  }

  function press(key) {
    if (!call || busy) return;
    if (call.expects === 'record') {
      if (key === '#') send({ action: 'record', seconds: Math.max(1, Math.round((Date.now() - recordingSince) / 1000)) }, '(recorded, then #)');
      return;
    }
    if (call.expects !== 'keys') return;
    // A key stops the prompts, as it does on a phone (Gather barge-in).
    stopPrompts();
    var g = call.gather || { finishOnKey: '#' };
    if (g.finishOnKey && key === g.finishOnKey) {
      if (typed) send({ action: 'keys', digits: typed }, typed + key);
      else send({ action: 'silence' }, key + ' (nothing typed)');
      return;
    }
    typed += key;
    typedEl.textContent = typed;
    if (g.numDigits && typed.length >= g.numDigits) send({ action: 'keys', digits: typed }, typed);
    else startTimer();
  }

  keys.forEach(function (k) {
    k.addEventListener('click', function () { press(k.getAttribute('data-key')); });
  });
  document.addEventListener('keydown', function (e) {
    if (/^[0-9*#]$/.test(e.key) && call) { e.preventDefault(); press(e.key); }
  });

  startBtn.addEventListener('click', function () {
    transcript.textContent = '';
    played = 0;
    startBtn.disabled = true;
    setState('dialling', S.calling);
    api('/staff/try-the-line/calls', { firstTime: firstTime.checked }).then(function (view) {
      call = { sid: view.callSid, expects: view.expects };
      addTranscript(S.testCall + ' ' + view.callSid, 'muted');
      onTurn(view);
    }, fail);
  });
  silenceBtn.addEventListener('click', function () {
    if (call && !busy && call.expects !== 'ended') send({ action: 'silence' }, '(silence)');
  });
  hangupBtn.addEventListener('click', function () {
    if (!call) return;
    var sid = call.sid;
    clearTimer();
    stopPrompts();
    call.expects = 'ended';
    api('/staff/try-the-line/calls/' + encodeURIComponent(sid), { action: 'hangup' }).then(function () {
      addTranscript(S.youHungUp, 'caller');
      setState('ended', S.ended);
      call = null;
      setKeys(false);
      startBtn.disabled = false;
    }, fail);
  });
})();
