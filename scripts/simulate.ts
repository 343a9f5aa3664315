/**
 * npm run simulate -- [options]: plays a scripted caller against a running hotline, the way the
 * carrier does, printing each prompt heard and each key sent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline/promises';
import { AppConfig, loadConfig } from '../src/config/config';
import { settingsSource, takeEnvFileFromProcessArgs } from '../src/config/tool-settings';
import { CallerAction, CallSimulator, newCallSid, parseScript, SimEvent } from '../src/simulator/call-simulator';
import { CarrierCallsStub, StubCall } from '../src/simulator/carrier-calls-stub';
import { RecordingApiStandIn } from '../src/simulator/recording-api-stand-in';

/** A new caller leaves a 12-second voice message about the health centre of commune 120101, and sends it. */
const VOICE_MESSAGE = '1,3,120101,1,2,record:12,1,hangup';

const HELP = `Usage: npm run simulate -- [options]

Plays one call against a running hotline (npm start) as the carrier would: signed form posts,
following Gather, Record and Redirect. Prints every prompt heard and every key pressed.

Options:
  --env-file FILE    the hotline's settings file (on a server /etc/hotline/hotline.env; or set
                     HOTLINE_ENV_FILE): its PORT, PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN, CARRIER and
                     CARRIER_API_URL are what the call uses. Without it, .env and the environment.
  --keys LIST        the caller's actions, comma-separated: keys (1, 120101, *), "silence",
                     "record:SECONDS", "hangup". Without --keys you are asked at each turn.
  --from NUMBER      the caller's number (default +85512000001); the same number is remembered
  --url URL          where the hotline listens (default http://localhost:PORT)
  --public-url URL   the URL signatures are computed over (default PUBLIC_BASE_URL)
  --auth-token TOKEN carrier auth token (default TWILIO_AUTH_TOKEN, or the generated development one)
  --call-sid SID     use this CallSid (default: a new random one)
  --carrier NAME     play the platform: twilio or somleng (default CARRIER). Somleng posts what
                     somleng-switch posts: UUID ids, a Record action with only RecordingUrl (the
                     /Calls/{CallSid}/Recordings/{id} form) and RecordingDuration, the recording
                     status callback, and the call status only at the end. Without --keys it plays
                     a whole voice message from a new number: ${VOICE_MESSAGE}.
                     When CARRIER_API_URL is on this machine (http://127.0.0.1:PORT), the simulator
                     also stands in for the carrier's recording API there and waits for the hotline
                     to download the recording.
  --json             print the transcript as JSON at the end
  --missed           a missed call, then its callback: rings POST /voice/missed (answered
                     <Reject reason="busy"/>), stands in for the carrier's Calls API at
                     CARRIER_API_URL until the hotline places the callback, then plays the
                     citizen answering it (--keys as above) and sends its status callback.
                     Start the hotline with CARRIER_API_URL=http://127.0.0.1:4010,
                     OUTBOUND_FROM_NUMBER=+85523000000 and TWILIO_ACCOUNT_SID=ACsimulator
                     (and OUTBOUND_CALLING_HOURS=00:00-24:00 to try it at night).
  --wait SECONDS     with --missed: how long to wait for the callback (default 60)
  --help             this text

Example: a whole voice message as Somleng would play it (start the hotline with
CARRIER=somleng CARRIER_API_URL=http://127.0.0.1:8089 to let the simulator hold the recording):
  npm run simulate -- --carrier somleng

Example: a new caller rates a health centre in commune 120101 in Khmer:
  npm run simulate -- --keys 1,2,120101,1,2,1,4,5,3,4,2,5,1,2,2,2,0

Example: a call to the hotline of a server set up as README "Going live" says, from /opt/hotline:
  sudo npm run simulate -- --env-file /etc/hotline/hotline.env --keys 1,1,2,2,hangup

Exit status: 0 the call ran, 1 a request failed (HTTP 4xx/5xx), 2 bad options, 78 bad settings.`;

function args(argv: string[]) {
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const name = a.slice(2);
    if (['help', 'json', 'missed'].includes(name)) out[name] = true;
    else if (i + 1 < argv.length) out[name] = argv[++i];
    else throw new Error(`${a} needs a value`);
  }
  return out;
}

function describe(e: SimEvent): string {
  switch (e.type) {
    case 'heard': return `  ▶ ${e.prompt.language}/${e.prompt.id}`;
    case 'pressed': return `⌨  pressed ${e.digits}`;
    case 'silent': return '…  (silence)';
    case 'recorded': return `●  recorded ${e.seconds} s (${e.recordingSid})`;
    case 'hung-up': return e.by === 'hotline' ? '☎  the hotline hung up' : '☎  the caller hung up';
    case 'http': return `!  HTTP ${e.status}: ${e.body.trim().slice(0, 200)}`;
  }
}

async function main() {
  // The service's settings file, as the other tools take it (src/config/tool-settings.ts).
  const envFile = takeEnvFileFromProcessArgs();
  let o: Record<string, string | boolean>;
  try {
    o = args(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  if (o.help) {
    console.log(HELP);
    return;
  }
  let config: AppConfig;
  try {
    config = loadConfig(undefined, { envFile });
  } catch (err) {
    console.error((err as Error).message);
    process.exit(78);
  }
  const publicUrl = (o['public-url'] as string) ?? config.publicBaseUrl;
  const serverUrl = (o.url as string) ?? `http://localhost:${config.port}`;
  let authToken = (o['auth-token'] as string) ?? config.twilioAuthToken;
  const devSecrets = path.join(config.dataDir, 'development-secrets.json');
  if (!o['auth-token'] && config.generatedSecrets.includes('TWILIO_AUTH_TOKEN') && fs.existsSync(devSecrets)) {
    authToken = JSON.parse(fs.readFileSync(devSecrets, 'utf8')).TWILIO_AUTH_TOKEN;
  }
  const carrier = (o.carrier as string | undefined) ?? config.carrier;
  if (carrier !== 'twilio' && carrier !== 'somleng') {
    console.error(`--carrier must be twilio or somleng, not ${carrier}`);
    process.exit(2);
  }
  // The first line says which hotline is called and whose settings say so, as the other tools' do.
  console.error(`npm run simulate: the hotline at ${serverUrl}, signed for ${publicUrl} (${settingsSource(envFile)})`);
  let actions: CallerAction[] | null = null;
  try {
    actions = typeof o.keys === 'string' ? parseScript(o.keys) : o.carrier ? parseScript(VOICE_MESSAGE) : null;
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  // The built-in voice message is a new caller's: a number never heard before.
  const from = (o.from as string) ?? (o.carrier && !o.keys ? `+85512${String(Date.now()).slice(-7)}` : '+85512000001');

  // A carrier API on this machine: hold the recordings there, as the carrier would (with --missed
  // the Calls API stand-in holds that port instead).
  let standIn: RecordingApiStandIn | null = null;
  if (!o.missed && /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(config.carrierApiUrl)) {
    standIn = new RecordingApiStandIn({
      carrier, url: config.carrierApiUrl,
      onRequest: (r) => { if (!o.json) console.log(`⇄  carrier API: ${r.method} ${r.path} -> ${r.status}`); },
    });
    try {
      await standIn.start();
    } catch (err) {
      console.error(`the carrier API stand-in could not listen at ${config.carrierApiUrl}: ${(err as Error).message}`);
      standIn = null;
    }
  }
  const recorded: string[] = [];

  let callback: { stub: CarrierCallsStub; call: StubCall } | null = null;
  if (o.missed) {
    callback = await missedCallThenCallback({
      serverUrl, publicUrl, authToken, from, carrierApiUrl: config.carrierApiUrl,
      accountSid: config.twilioAccountSid, waitSeconds: Number(o.wait ?? 60),
    });
  }

  const rl = actions ? null : readline.createInterface({ input: process.stdin, output: process.stdout });
  const pending: CallerAction[] = [];
  const sim = new CallSimulator({
    serverUrl, publicBaseUrl: publicUrl, authToken,
    from,
    callSid: callback ? callback.call.sid : (o['call-sid'] as string | undefined),
    ...(callback ? { direction: 'outbound-api' as const, hotlineNumber: callback.call.from, sendStatus: false } : {}),
    carrier,
    accountSid: config.twilioAccountSid || undefined,
    carrierApiUrl: config.carrierApiUrl,
    sendRecordingStatus: true,
    onRecorded: (sid, seconds) => {
      recorded.push(sid);
      standIn?.add(sid, seconds);
    },
    onEvent: (e) => { if (!o.json) console.log(describe(e)); },
    nextAction: rl
      ? async () => {
          while (pending.length === 0) {
            const answer = (await rl.question('your action (keys, silence, record:N, hangup)> ')).trim() || 'silence';
            try {
              pending.push(...parseScript(answer));
            } catch (err) {
              console.log((err as Error).message);
            }
          }
          return pending.shift();
        }
      : undefined,
  });
  console.error(`calling ${serverUrl} as ${publicUrl} as ${carrier} would (CallSid ${sim.callSid})`);
  let transcript;
  try {
    transcript = await sim.run(actions ?? []);
  } catch (err) {
    console.error(`the call could not go on: ${(err as Error).message}`);
    process.exit(1);
  } finally {
    rl?.close();
  }
  if (callback) {
    const status = await callback.stub.sendStatus(callback.call, 'completed', { publicBaseUrl: publicUrl, serverUrl });
    console.error(`status callback "completed" sent: HTTP ${status}`);
    await callback.stub.stop();
  }
  if (standIn) {
    // The hotline listens once during the call and its download worker fetches it again (every 2 s it looks for work).
    for (const sid of recorded) {
      const fetched = await standIn.waitForDownloads(sid, 2, 30_000);
      if (!o.json) console.log(fetched ? `✓  the hotline downloaded recording ${sid}` : `!  the hotline did not download recording ${sid} within 30 s (is it running with CARRIER_API_URL=${config.carrierApiUrl}?)`);
    }
    await new Promise((r) => setTimeout(r, 1000)); // its DELETE, if the carrier has one
    await standIn.stop();
  }
  if (o.json) console.log(JSON.stringify(transcript, null, 2));
  process.exit(transcript.errors.length ? 1 : 0);
}

/** Rings the missed-call number, then stands in for the carrier until the hotline calls back. */
async function missedCallThenCallback(o: {
  serverUrl: string; publicUrl: string; authToken: string; from: string; carrierApiUrl: string; accountSid: string; waitSeconds: number;
}): Promise<{ stub: CarrierCallsStub; call: StubCall }> {
  const api = new URL(o.carrierApiUrl);
  if (api.protocol !== 'http:' || !['127.0.0.1', 'localhost'].includes(api.hostname) || !o.accountSid) {
    console.error('--missed stands in for the carrier, so the hotline must send its calls here: start it with\n'
      + '  CARRIER_API_URL=http://127.0.0.1:4010 TWILIO_ACCOUNT_SID=ACsimulator OUTBOUND_FROM_NUMBER=+85523000000 npm start\n'
      + 'and run this command with the same settings (.env).');
    process.exit(2);
  }
  const stub = await new CarrierCallsStub(o.accountSid, o.authToken).start(Number(api.port || 80), api.hostname === 'localhost' ? '127.0.0.1' : api.hostname);
  const sim = new CallSimulator({ serverUrl: o.serverUrl, publicBaseUrl: o.publicUrl, authToken: o.authToken, from: o.from });
  const missed = await sim.post('/voice/missed', { CallSid: newCallSid(), AccountSid: o.accountSid, From: o.from, To: '+855000000', CallStatus: 'ringing', Direction: 'inbound' });
  console.log(`☎  ${o.from} rings the missed-call number: HTTP ${missed.status} ${missed.body.replace(/<\?xml[^>]*>/, '').trim()}`);
  console.log(`…  waiting up to ${o.waitSeconds} s for the hotline to call back (calling hours, pause and budget apply)`);
  const call = await Promise.race([
    stub.nextCall(),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), o.waitSeconds * 1000)),
  ]);
  if (!call) {
    console.error('no callback came: see the hotline log and the staff page "Outbound calls" (outside calling hours? paused? OUTBOUND_FROM_NUMBER set?)');
    await stub.stop();
    process.exit(1);
  }
  console.log(`☎  the hotline calls ${call.to} back from ${call.from} (CallSid ${call.sid}); the citizen answers`);
  return { stub, call };
}

void main();
