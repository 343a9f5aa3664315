/**
 * npm run simulate -- [options]: plays a scripted caller against a running hotline, the way the
 * carrier does, printing each prompt heard and each key sent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline/promises';
import { loadConfig } from '../src/config/config';
import { CallerAction, CallSimulator, parseScript, SimEvent } from '../src/simulator/call-simulator';
import { RecordingApiStandIn } from '../src/simulator/recording-api-stand-in';

/** A new caller leaves a 12-second voice message about the health centre of commune 120101, and sends it. */
const VOICE_MESSAGE = '1,3,120101,1,2,record:12,1,hangup';

const HELP = `Usage: npm run simulate -- [options]

Plays one call against a running hotline (npm start) as the carrier would: signed form posts,
following Gather, Record and Redirect. Prints every prompt heard and every key pressed.

Options:
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
  --help             this text

Example: a whole voice message as Somleng would play it (start the hotline with
CARRIER=somleng CARRIER_API_URL=http://127.0.0.1:8089 to let the simulator hold the recording):
  npm run simulate -- --carrier somleng

Example: a new caller rates a health centre in commune 120101 in Khmer:
  npm run simulate -- --keys 1,2,120101,1,2,4,5,3,4,2,5,1,2,2,0

Exit status: 0 the call ran, 1 a request failed (HTTP 4xx/5xx), 2 bad options.`;

function args(argv: string[]) {
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const name = a.slice(2);
    if (['help', 'json'].includes(name)) out[name] = true;
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
  const config = loadConfig();
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
  let actions: CallerAction[] | null = null;
  try {
    actions = typeof o.keys === 'string' ? parseScript(o.keys) : o.carrier ? parseScript(VOICE_MESSAGE) : null;
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  // The built-in voice message is a new caller's: a number never heard before.
  const from = (o.from as string) ?? (o.carrier && !o.keys ? `+8551${String(Date.now()).slice(-8)}` : '+85512000001');

  // A carrier API on this machine: hold the recordings there, as the carrier would.
  let standIn: RecordingApiStandIn | null = null;
  if (/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(config.carrierApiUrl)) {
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

  const rl = actions ? null : readline.createInterface({ input: process.stdin, output: process.stdout });
  const pending: CallerAction[] = [];
  const sim = new CallSimulator({
    serverUrl, publicBaseUrl: publicUrl, authToken,
    from,
    callSid: o['call-sid'] as string | undefined,
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

void main();
