import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MongoClient } from 'mongodb';
import { AppConfig } from '../config/config';
import { LanguageConfig } from '../config/languages';
import { FlowDefinition } from '../flow/types';
import { Gazetteer } from '../gazetteer/gazetteer';
import { I4cLibrary } from '../i4c/content';
import { PromptCatalog } from '../prompts/catalog';
import { placeCoverage, promptCoverage } from '../prompts/coverage';
import { allPlaceCodes } from '../prompts/place-names';
import { facilityPromptId, ProgrammeAreas } from '../site/programme-areas';
import { INDEXES } from '../store/indexes';
import { isBackupOf, lastBackup, storeLabel } from './backup-record';
import { isOfferedLanguage } from '../prompts/language-readiness';

/**
 * `npm run doctor`: is this installation ready for a real line? Each item is ok, a warning, or
 * a blocker, with what to do. In production the server runs the same checks at start-up and
 * refuses to start on a blocker, unless DOCTOR_ALLOW names it (then it is logged at every start).
 */
export type DoctorStatus = 'ok' | 'warning' | 'blocker';

export interface DoctorItem {
  /** Stable id, the one DOCTOR_ALLOW names (e.g. store.embedded). */
  id: string;
  status: DoctorStatus;
  /** What was found. */
  message: string;
  /** What to do about it (warnings and blockers). */
  fix?: string;
  /** A blocker that DOCTOR_ALLOW lets production start with anyway. */
  allowed?: boolean;
}

/** The definitions the hotline has loaded (the server's runtime, or loaded by the command). */
export interface DoctorDefinitions {
  languages: LanguageConfig;
  catalog: PromptCatalog;
  flow: FlowDefinition;
  content: I4cLibrary;
  gazetteer: Gazetteer;
  programmeAreas: ProgrammeAreas;
}

export interface DoctorDeps {
  fetch?: typeof fetch;
  /** Free bytes on DATA_DIR's file system and free memory; overridable for tests. */
  diskFree?: (dir: string) => number;
  memoryFree?: () => number;
  now?: () => Date;
  carrierTimeoutMs?: number;
}

const MIN_SECRET_LENGTH = 32;
const MIN_SECRET_BITS = 128;
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/**
 * A cautious estimate of a secret's entropy in bits: the smaller of its length times the
 * Shannon entropy of its characters (punishes repetition) and its length times log2 of the
 * alphabet its character classes span (punishes a small alphabet).
 */
export function secretBits(secret: string): number {
  if (!secret) return 0;
  const counts = new Map<string, number>();
  for (const ch of secret) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const n = [...secret].length;
  let shannon = 0;
  for (const c of counts.values()) shannon -= (c / n) * Math.log2(c / n);
  let pool = 0;
  if (/[a-z]/.test(secret)) pool += 26;
  if (/[A-Z]/.test(secret)) pool += 26;
  if (/[0-9]/.test(secret)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(secret)) pool += 33;
  return Math.min(shannon * n, Math.log2(Math.max(pool, 2)) * n);
}

const GENERATE = 'generate one with `openssl rand -hex 32` and set it in .env (or the service environment)';

function secretItem(id: string, name: string, value: string, generated: boolean, extra = ''): DoctorItem {
  if (generated) {
    return { id, status: 'blocker', message: `${name} was generated for development and kept in DATA_DIR/development-secrets.json`, fix: `${GENERATE}${extra}` };
  }
  const length = [...value].length;
  const bits = Math.round(secretBits(value));
  if (length < MIN_SECRET_LENGTH || bits < MIN_SECRET_BITS) {
    return { id, status: 'blocker', message: `${name} is weak: ${length} characters, about ${bits} bits of entropy (at least ${MIN_SECRET_LENGTH} characters and ${MIN_SECRET_BITS} bits needed)`, fix: `${GENERATE}${extra}` };
  }
  return { id, status: 'ok', message: `${name}: ${length} characters, about ${bits} bits of entropy` };
}

export function settingsItems(config: AppConfig): DoctorItem[] {
  const generated = new Set(config.generatedSecrets);
  const items: DoctorItem[] = [
    secretItem('secret.caller-hash', 'CALLER_HASH_SECRET', config.callerHashSecret, generated.has('CALLER_HASH_SECRET'),
      '. Changing it later forgets every caller: choose it once, before the first real call'),
    secretItem('secret.session', 'SESSION_SECRET', config.sessionSecret, generated.has('SESSION_SECRET'), '. Changing it signs every staff member out'),
    secretItem('secret.callback-number', 'CALLBACK_NUMBER_KEY', config.outbound.numberKey.toString('hex'), generated.has('CALLBACK_NUMBER_KEY'),
      '. Changing it abandons the callbacks still owed (their numbers can no longer be read)'),
  ];
  if (generated.has('TWILIO_AUTH_TOKEN') || !config.twilioAuthToken) {
    items.push({ id: 'secret.carrier-token', status: 'blocker', message: 'TWILIO_AUTH_TOKEN is not the carrier\'s: webhooks from the real carrier would be refused', fix: 'copy the auth token from the carrier\'s console (Twilio or Somleng account settings) into TWILIO_AUTH_TOKEN' });
  } else {
    items.push({ id: 'secret.carrier-token', status: 'ok', message: 'TWILIO_AUTH_TOKEN is set' });
  }
  const url = new URL(config.publicBaseUrl);
  if (url.protocol !== 'https:') {
    items.push({ id: 'public-url.https', status: 'blocker', message: `PUBLIC_BASE_URL=${config.publicBaseUrl} is not https: callers' keys, voice messages and staff passwords would cross the internet in clear`, fix: 'serve the hotline behind a TLS reverse proxy (deploy/nginx-hotline.conf) and set PUBLIC_BASE_URL=https://your.domain' });
  } else if (['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
    items.push({ id: 'public-url.https', status: 'blocker', message: `PUBLIC_BASE_URL=${config.publicBaseUrl} names this machine: the carrier cannot reach it`, fix: 'set PUBLIC_BASE_URL to the public https address the carrier calls' });
  } else {
    items.push({ id: 'public-url.https', status: 'ok', message: `PUBLIC_BASE_URL=${config.publicBaseUrl}` });
  }
  if (!config.signatureCheck) {
    items.push({ id: 'signature-check.off', status: 'blocker', message: 'TWILIO_SIGNATURE_CHECK=off: anyone can post fake calls', fix: 'remove TWILIO_SIGNATURE_CHECK (it defaults to on)' });
  }
  items.push(config.alertCommand.trim()
    ? { id: 'alerts.command', status: 'ok', message: 'ALERT_COMMAND is set: a failed service, backup or doctor check is reported (test it: README "Alerts")' }
    : { id: 'alerts.command', status: 'warning', message: 'ALERT_COMMAND is empty: when the service, the backup or the doctor\'s timer fails, nobody is told', fix: 'set ALERT_COMMAND in the settings file to a command that sends its standard input (mail, a Telegram bot curl, any webhook), then send a test alert (README "Alerts")' });
  items.push(...carrierMediaItems(config), listenItem(config));
  return items;
}

const SOMLENG_BUCKETS_FIX = 'set CARRIER_MEDIA_HOSTS to both bucket hosts of your Somleng, comma-separated: its uploads bucket (UPLOADS_BUCKET) and its raw-recordings bucket (RAW_RECORDINGS_BUCKET), e.g. '
  + 'uploads.s3.ap-southeast-1.amazonaws.com,raw-recordings.s3.ap-southeast-1.amazonaws.com, or *.s3.ap-southeast-1.amazonaws.com (README "Connecting a Somleng account")';

/**
 * Somleng redirects a recording's audio to one of two buckets: the raw-recordings bucket until
 * its ProcessRecording job has attached the file, the uploads bucket after (somleng
 * app/controllers/twilio_api/recordings_controller.rb:28-36,49-51; app/models/raw_recording_presigned_url.rb:9-13).
 * The in-call silence check runs in the first window, the download worker mostly in the second,
 * so CARRIER_MEDIA_HOSTS must cover both. One exact host covers both only if both buckets are
 * served from it (path-style storage); an S3 bucket's own host (<bucket>.s3….amazonaws.com) never does.
 */
export function carrierMediaItems(config: Pick<AppConfig, 'carrier' | 'carrierMediaHosts'>): DoctorItem[] {
  if (config.carrier !== 'somleng') return [];
  const id = 'carrier.media-hosts';
  const hosts = config.carrierMediaHosts;
  if (!hosts.length) {
    return [{ id, status: 'warning', message: 'CARRIER_MEDIA_HOSTS is empty: Somleng answers every recording download with a redirect to its storage, so no voice message can be downloaded and no silent recording is caught during the call', fix: SOMLENG_BUCKETS_FIX }];
  }
  const wildcard = hosts.some((h) => h.startsWith('*.'));
  const bucketHost = (h: string) => /^[^.]+\.s3([.-][a-z0-9-]+)*\.amazonaws\.com(:\d+)?$/.test(h);
  if (!wildcard && hosts.length === 1 && bucketHost(hosts[0])) {
    return [{
      id, status: 'warning',
      message: `CARRIER_MEDIA_HOSTS names one S3 bucket (${hosts[0]}): Somleng serves a recording from its raw-recordings bucket until it is processed, so while the caller waits the silence check is skipped (a silent caller hears "message saved")`,
      fix: SOMLENG_BUCKETS_FIX,
    }];
  }
  if (!wildcard && hosts.length === 1) {
    return [{ id, status: 'ok', message: `CARRIER_MEDIA_HOSTS=${hosts[0]}: one host, which must serve both of Somleng's buckets (uploads and raw recordings; path-style storage such as MinIO does)` }];
  }
  return [{ id, status: 'ok', message: `CARRIER_MEDIA_HOSTS covers ${hosts.join(', ')} (Somleng's uploads and raw-recordings buckets)` }];
}

/**
 * Where the server listens, beside TRUST_PROXY (src/config/config.ts listenHost refuses the unsafe
 * case), and whether its plain HTTP port can be reached from other machines: the operator must
 * know when clients can go around the TLS proxy.
 */
export function listenItem(config: Pick<AppConfig, 'host' | 'port' | 'trustProxy' | 'hostChosenForProxy' | 'publicBaseUrl'>): DoctorItem {
  const id = 'http.listen';
  const loopback = config.host === 'localhost' || config.host === '::1' || config.host.startsWith('127.');
  const where = `${config.host}:${config.port}`;
  const open = `the plain HTTP port ${config.port} can be reached from other machines${config.host === '0.0.0.0' || config.host === '::' ? '' : ` at ${config.host}`} unless a firewall closes it`;
  const closed = `the plain HTTP port ${config.port} cannot be reached from other machines`;
  if (config.trustProxy === false && loopback) {
    return { id, status: 'warning', message: `HOST=${config.host} but TRUST_PROXY=off: a proxy on this machine is in front, yet every client looks like ${config.host} (sign-in limits would lock everyone together)`, fix: 'set TRUST_PROXY=loopback (nginx on this machine, deploy/nginx-hotline.conf)' };
  }
  if (config.trustProxy !== false && !loopback) {
    return { id, status: 'warning', message: `listening on ${where} with TRUST_PROXY=${String(config.trustProxy)}: ${open}, so clients can go around the proxy (its per-client limits do not apply to them; their X-Forwarded-For is believed only from the addresses TRUST_PROXY names)`, fix: 'leave HOST empty (127.0.0.1) when the proxy is on this machine, or firewall the port so only the proxy reaches it' };
  }
  if (config.trustProxy === false && new URL(config.publicBaseUrl).protocol === 'https:') {
    // The hotline speaks plain HTTP: an https PUBLIC_BASE_URL means a TLS proxy is in front.
    return { id, status: 'warning', message: `listening on ${where} with no proxy trusted, though PUBLIC_BASE_URL is https (a TLS proxy is in front): ${open}, so clients can go around the proxy, and every client that comes through it looks like the proxy (sign-in limits would lock everyone together)`, fix: 'nginx on this machine: set TRUST_PROXY=loopback and leave HOST empty (the hotline then listens on 127.0.0.1 only); a proxy elsewhere: set TRUST_PROXY to its address and firewall the port so only it reaches it' };
  }
  if (config.trustProxy === false) {
    return { id, status: 'ok', message: `listening on ${where} with no proxy trusted: ${open}; HTTP_MAX_CONNECTIONS_PER_CLIENT caps each client's connections` };
  }
  return { id, status: 'ok', message: `listening on ${where} only${config.hostChosenForProxy ? ' (HOST empty, TRUST_PROXY set)' : ''}: ${closed}; every client comes through the proxy TRUST_PROXY trusts` };
}

/** The store: MongoDB for production, reachable, with every index the app declares. */
export async function storeItems(config: AppConfig): Promise<DoctorItem[]> {
  if (!config.mongodbUri) {
    return [{ id: 'store.embedded', status: 'blocker', message: 'the embedded store (one process, files in DATA_DIR) is for trials and small pilots, not a live line', fix: 'set MONGODB_URI to a MongoDB 7 server, then copy the data with `npm run migrate -- --to <MONGODB_URI>`; DOCTOR_ALLOW=store.embedded starts anyway' }];
  }
  const client = new MongoClient(config.mongodbUri, { serverSelectionTimeoutMS: 3000, connectTimeoutMS: 3000 });
  try {
    await client.connect();
    const db = client.db(config.mongodbDb);
    await db.command({ ping: 1 });
    const missing: string[] = [];
    const byCollection = new Map<string, string[]>();
    for (const spec of INDEXES) {
      if (!byCollection.has(spec.collection)) {
        const existing = await db.collection(spec.collection).listIndexes().toArray().catch(() => []);
        byCollection.set(spec.collection, existing.map((i) => JSON.stringify(i.key)));
      }
      if (!byCollection.get(spec.collection)!.includes(JSON.stringify(spec.keys))) missing.push(`${spec.collection} ${JSON.stringify(spec.keys)}`);
    }
    const items: DoctorItem[] = [{ id: 'store.mongodb', status: 'ok', message: `MongoDB answers (database ${config.mongodbDb})` }];
    items.push(missing.length
      ? { id: 'store.indexes', status: 'warning', message: `${missing.length} of ${INDEXES.length} indexes are missing: ${missing.slice(0, 5).join('; ')}${missing.length > 5 ? '; …' : ''}`, fix: 'start the hotline once (it creates every index at start-up), then run the doctor again; reports and the download queue are slow without them' }
      : { id: 'store.indexes', status: 'ok', message: `all ${INDEXES.length} indexes are in place` });
    return items;
  } catch (err) {
    return [{ id: 'store.unreachable', status: 'blocker', message: `MongoDB at MONGODB_URI does not answer: ${(err as Error).message}`, fix: 'start the database or correct MONGODB_URI (user, password, host, port); the hotline cannot take calls without it' }];
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * The carrier: a harmless authenticated GET of the account (Twilio: "Fetch an Account",
 * GET /2010-04-01/Accounts/{Sid}.json; Somleng implements the same route, spec/requests/twilio_api/accounts_spec.rb),
 * then the numbers' voice URL and status callback (GET …/IncomingPhoneNumbers.json, both carriers).
 */
export async function carrierItems(config: AppConfig, deps: DoctorDeps = {}): Promise<DoctorItem[]> {
  const voiceUrl = `${config.publicBaseUrl}/voice/incoming`;
  const statusUrl = `${config.publicBaseUrl}/voice/status`;
  const webhooks: DoctorItem = {
    id: 'carrier.webhooks', status: 'ok',
    message: `set at the carrier, for the hotline's number: voice URL ${voiceUrl} (POST), status callback ${statusUrl} (POST)`,
  };
  if (!config.twilioAccountSid || config.generatedSecrets.includes('TWILIO_AUTH_TOKEN')) {
    return [{ id: 'carrier.credentials', status: 'blocker', message: 'no carrier account: TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN is not set', fix: 'copy the account SID and auth token from the carrier into TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN' }, webhooks];
  }
  const doFetch = deps.fetch ?? fetch;
  const auth = `Basic ${Buffer.from(`${config.twilioAccountSid}:${config.twilioAuthToken}`).toString('base64')}`;
  const base = `${config.carrierApiUrl}/2010-04-01/Accounts/${encodeURIComponent(config.twilioAccountSid)}`;
  const get = (url: string) => doFetch(url, { method: 'GET', headers: { authorization: auth, accept: 'application/json' }, signal: AbortSignal.timeout(deps.carrierTimeoutMs ?? 8000), redirect: 'error' });
  let res: Response;
  try {
    res = await get(`${base}.json`);
  } catch (err) {
    return [{ id: 'carrier.credentials', status: 'warning', message: `the carrier API at ${config.carrierApiUrl} did not answer: ${(err as Error).message}`, fix: 'check CARRIER_API_URL (https://api.twilio.com, or your Somleng API host) and this machine\'s outbound network; run the doctor again' }, webhooks];
  }
  if (res.status === 401 || res.status === 403) {
    return [{ id: 'carrier.credentials', status: 'blocker', message: `the carrier refused TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (HTTP ${res.status} from ${config.carrierApiUrl})`, fix: 'copy both again from the carrier\'s console; voice messages cannot be downloaded and webhooks will be refused until they match' }, webhooks];
  }
  if (!res.ok) {
    return [{ id: 'carrier.credentials', status: 'warning', message: `the carrier answered HTTP ${res.status} for the account`, fix: 'check CARRIER_API_URL and TWILIO_ACCOUNT_SID; run the doctor again' }, webhooks];
  }
  const items: DoctorItem[] = [{ id: 'carrier.credentials', status: 'ok', message: `the carrier at ${config.carrierApiUrl} accepts the account's credentials` }];
  items.push(...(await outboundFromItems(config, get, base)));
  try {
    const numbers = await get(`${base}/IncomingPhoneNumbers.json`);
    const body = numbers.ok ? ((await numbers.json()) as { incoming_phone_numbers?: { phone_number?: string; voice_url?: string | null; status_callback?: string | null }[] }) : {};
    const list = body.incoming_phone_numbers ?? [];
    const wrong = list.filter((n) => n.voice_url !== voiceUrl).map((n) => `${n.phone_number ?? '?'} calls ${n.voice_url || '(nothing)'}`);
    if (list.length && wrong.length === list.length) {
      items.push({ ...webhooks, status: 'warning', message: `no number of this account sends calls to ${voiceUrl} (${wrong.slice(0, 3).join('; ')})`, fix: `at the carrier, set the hotline number's voice URL to ${voiceUrl} (POST) and its status callback to ${statusUrl} (POST)` });
      return items;
    }
  } catch {
    /* the numbers are a convenience; the credentials answered */
  }
  items.push(webhooks);
  return items;
}

/**
 * OUTBOUND_FROM_NUMBER must be an active number of the account, or every callback is refused
 * (Somleng: 400 code 21210, app/request_schemas/twilio_api/phone_call_request_schema.rb rule(:From)
 * looks the From up in `account.incoming_phone_numbers.active`). Both carriers list the account's
 * numbers filtered by PhoneNumber: Twilio "Read multiple IncomingPhoneNumber resources"
 * (twilio.com/docs/phone-numbers/api/incomingphonenumber-resource, PhoneNumber filter); Somleng
 * app/controllers/twilio_api/incoming_phone_numbers_controller.rb#index, scope
 * `current_account.incoming_phone_numbers.active`, filter
 * app/request_schemas/twilio_api/incoming_phone_number_filter_request_schema.rb (PhoneNumber, its digits
 * only: app/request_schemas/application_request_schema.rb:11-13).
 */
export async function outboundFromItems(config: AppConfig, get: (url: string) => Promise<Response>, accountUrl: string): Promise<DoctorItem[]> {
  const from = config.outbound.fromNumber;
  if (!from) return [];
  const id = 'carrier.outbound-from';
  const fix = 'set OUTBOUND_FROM_NUMBER to one of the carrier account\'s active numbers (E.164, like +85523xxxxxx), or buy/assign that number to the account at the carrier, then restart';
  try {
    const res = await get(`${accountUrl}/IncomingPhoneNumbers.json?PhoneNumber=${encodeURIComponent(from)}`);
    if (!res.ok) {
      return [{ id, status: 'warning', message: `could not check OUTBOUND_FROM_NUMBER ${from}: the carrier answered HTTP ${res.status} for the account's numbers`, fix: 'check at the carrier that OUTBOUND_FROM_NUMBER is one of the account\'s active numbers' }];
    }
    const body = (await res.json()) as { incoming_phone_numbers?: { phone_number?: string; status?: string }[] };
    const digits = (n: string | undefined) => (n ?? '').replace(/[^0-9]/g, '');
    const match = (body.incoming_phone_numbers ?? []).find((n) => digits(n.phone_number) === digits(from));
    if (!match || (match.status && match.status !== 'in-use' && match.status !== 'active')) {
      return [{ id, status: 'warning', message: `OUTBOUND_FROM_NUMBER ${from} is not an active number of the carrier account: every callback would be refused (code 21210) and outbound calling held`, fix }];
    }
    return [{ id, status: 'ok', message: `OUTBOUND_FROM_NUMBER ${from} is an active number of the carrier account` }];
  } catch (err) {
    return [{ id, status: 'warning', message: `could not check OUTBOUND_FROM_NUMBER ${from}: ${(err as Error).message}`, fix: 'run the doctor again; check at the carrier that OUTBOUND_FROM_NUMBER is one of the account\'s active numbers' }];
  }
}

/** Prompt coverage of each offered language (and place names, when callers can browse by name), and I4C samples. */
export function contentItems(config: AppConfig, defs: DoctorDefinitions): DoctorItem[] {
  const items: DoctorItem[] = [];
  // Before the first start the site folder is not seeded yet: judge what it will hold.
  const audioDir = config.shippedAudioDir && !fs.existsSync(config.audioDir) ? config.shippedAudioDir : config.audioDir;
  const report = promptCoverage({ audioDir, catalog: defs.catalog, languages: defs.languages.languages, defaultLanguage: defs.languages.default });
  const browsing = Object.values(defs.flow.nodes).some((n) => n.type === 'place-list');
  const placeCodes = allPlaceCodes(defs.gazetteer);
  const places = placeCoverage({
    audioDir, defaultLanguage: defs.languages.default, browseByName: browsing, placeCodes,
    provinces: defs.gazetteer.provinces.map((p) => ({ code: p.code, places: placeCodes.filter((c) => c.startsWith(p.code)) })),
  });
  // A language the menu does not offer (ONLY_READY_LANGUAGES, on in production) is nothing a
  // caller meets: its gaps are for `npm run prompts -- coverage`, not a warning before going live.
  const offered = report.filter((cov) => isOfferedLanguage(cov, { enforce: config.onlyReadyLanguages, acceptKhmerMachineVoice: config.acceptKhmerMachineVoice }));
  for (const cov of offered) {
    const gaps = cov.missing.length + cov.placeholder.length;
    const id = `prompts.${cov.language}`;
    if (gaps === 0 && cov.machine.length === 0) {
      items.push({ id, status: 'ok', message: `${cov.name} (${cov.language}): all ${cov.required} prompts recorded` });
    } else {
      const parts = [cov.missing.length && `${cov.missing.length} missing`, cov.placeholder.length && `${cov.placeholder.length} still placeholders`, cov.machine.length && `${cov.machine.length} machine voice`].filter(Boolean);
      const status: DoctorStatus = cov.isDefault && gaps > 0 ? 'blocker' : 'warning';
      items.push({
        id, status,
        message: `${cov.name} (${cov.language}): ${parts.join(', ')} of ${cov.required} prompts${cov.isDefault ? '' : ' (callers hear Khmer for those)'}`,
        fix: `record them and run \`npm run prompts -- import <folder>\`; \`npm run prompts -- coverage\` lists each one${cov.isDefault ? '' : `, or stop offering ${cov.language} in config/languages.json (in the site folder)`}`,
      });
    }
  }
  for (const cov of offered.filter((c) => c.outdated.length)) {
    items.push({
      id: `prompts.${cov.language}.outdated`, status: 'warning',
      message: `${cov.name} (${cov.language}): ${cov.outdated.length} recording(s) made before their words changed, still saying the old words (${cov.outdated.slice(0, 6).join(', ')}${cov.outdated.length > 6 ? ', …' : ''})`,
      fix: 'record them again from the catalog\'s words (the studio marks them; `npm run prompts -- script` prints the words) and import them',
    });
  }
  // One recording per place serves every language (a Khmer proper noun). A province whose names
  // are not all recorded is offered by commune code only, never read out digit by digit.
  if (browsing) {
    const pid = 'prompts.places';
    items.push(places.provincesByName.length >= places.provincesTotal
      ? { id: pid, status: 'ok', message: `every place name recorded: callers can browse all ${places.provincesTotal} provinces by name` }
      : {
        id: pid, status: 'warning',
        message: `${places.provincesByName.length} of ${places.provincesTotal} provinces can be browsed by name (${places.total - places.recorded - places.machine} of ${places.total} place names not recorded); callers in the others give the commune code`,
        fix: 'record place.<code> prompts and import them (`npm run prompts -- script --places` lists them; audio/README.md)',
      });
  }
  items.push(programmeItem(config, defs.programmeAreas, audioDir, defs.languages.default));
  const samples = defs.content.samples();
  items.push(samples.length
    ? { id: 'i4c.samples', status: 'warning', message: `${samples.length} I4C text file(s) are still the shipped SAMPLES (${samples.slice(0, 4).map((s) => `${s.service}.${s.language}`).join(', ')}${samples.length > 4 ? ', …' : ''}): callers hear "this is sample information"`, fix: `put the province's official texts in ${path.join(config.siteDir, 'content/i4c')} with "status": "official" (content/README.md)` }
    : { id: 'i4c.samples', status: 'ok', message: 'every I4C text is marked official' });
  return items;
}

/**
 * The programme's communes and facilities, offered by name: the shipped sample offers none (its
 * facilities are made up), and a name is offered only once its recording exists.
 */
export function programmeItem(config: Pick<AppConfig, 'programmeAreasFile' | 'siteDir'>, areas: ProgrammeAreas, audioDir: string, language: string): DoctorItem {
  const id = 'programme.areas';
  const own = path.join(config.siteDir, 'config/programme-areas.json');
  if (areas.sample) {
    return {
      id, status: 'warning',
      message: `the programme areas are the shipped SAMPLE (${config.programmeAreasFile}): callers choose no commune or facility by name; they enter the commune code or say the place, and schools and health centres are rated per commune`,
      fix: `write your programme's communes and facilities to ${own} (the sample shows the format; leave out "sample": true), record their names, and restart`,
    };
  }
  const recorded = (promptId: string) => fs.existsSync(path.join(audioDir, language, `${promptId}.wav`));
  const names = [...areas.communes.map((c) => `place.${c}`), ...areas.facilities.map((f) => facilityPromptId(f.id))];
  const missing = names.filter((n) => !recorded(n));
  const what = `${areas.communes.length} commune(s) and ${areas.facilities.length} facilit${areas.facilities.length === 1 ? 'y' : 'ies'}`;
  if (missing.length === 0) return { id, status: 'ok', message: `programme areas: ${what}, every name recorded` };
  return {
    id, status: 'warning',
    message: `programme areas: ${what}; ${missing.length} of ${names.length} names not recorded (${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ', …' : ''}): callers are not offered those by name`,
    fix: 'record them and import them (`npm run prompts -- script --places` lists them)',
  };
}

/** Free bytes for an unprivileged user on the disk holding `dir` (one statfs: cheap enough for /health). */
export function diskFreeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

/**
 * The disk where DATA_DIR is: blocker under 0.25 GB (the store and voice messages would fail),
 * warning under 2 GB. The doctor and /health (src/ops/health.ts) judge it alike.
 */
export function diskSpaceVerdict(freeBytes: number): { status: DoctorStatus; message: string } {
  const gb = `${(freeBytes / GIB).toFixed(1)} GB`;
  if (freeBytes < 0.25 * GIB) return { status: 'blocker', message: `only ${gb} free where DATA_DIR is; voice messages and the store would fail` };
  if (freeBytes < 2 * GIB) return { status: 'warning', message: `${gb} free where DATA_DIR is; a two-minute voice message is about 2 MB` };
  return { status: 'ok', message: `${gb} free where DATA_DIR is` };
}

/** Disk, memory and the age of the last backup. */
export function machineItems(config: AppConfig, deps: DoctorDeps = {}): DoctorItem[] {
  const items: DoctorItem[] = [];
  const diskFree = deps.diskFree ?? ((dir: string) => {
    fs.mkdirSync(dir, { recursive: true });
    return diskFreeBytes(dir);
  });
  const free = diskFree(config.dataDir);
  const disk = diskSpaceVerdict(free);
  items.push(disk.status === 'blocker'
    ? { id: 'disk.space', status: 'blocker', message: `${disk.message} (${config.dataDir})`, fix: 'free disk space or move DATA_DIR to a larger disk' }
    : disk.status === 'warning'
      ? { id: 'disk.space', status: 'warning', message: disk.message, fix: 'plan more space, and keep backups on another disk' }
      : { id: 'disk.space', status: 'ok', message: disk.message });
  const mem = (deps.memoryFree ?? os.freemem)();
  items.push(mem < 128 * MIB
    ? { id: 'memory.free', status: 'warning', message: `only ${Math.round(mem / MIB)} MB of memory free; the hotline needs about 250 MB`, fix: 'stop other programs or add memory' }
    : { id: 'memory.free', status: 'ok', message: `${Math.round(mem / MIB)} MB of memory free` });
  const last = lastBackup(config.dataDir);
  const now = (deps.now ?? (() => new Date()))();
  if (!last) {
    items.push({ id: 'backup.age', status: 'warning', message: 'no backup has been made on this machine', fix: 'run `npm run backup -- --out FILE` and schedule it (deploy/hotline-backup.timer); keep a copy off the machine' });
  } else if (!isBackupOf(last, config)) {
    // A migration changed the store: the backups of the old one do not restore the calls since.
    items.push({
      id: 'backup.age', status: 'warning',
      message: `no backup of the store in use (${storeLabel(config)}) yet: the last backup (${last.file}, ${last.at}) was of ${last.store ?? `the ${last.engine} store`}`,
      fix: 'run `npm run backup -- --out FILE` now with the service\'s settings file, and check that the backup timer runs with it (systemctl status hotline-backup.timer)',
    });
  } else {
    const hours = (now.getTime() - new Date(last.at).getTime()) / 3_600_000;
    items.push(hours > config.backupMaxAgeHours
      ? { id: 'backup.age', status: 'warning', message: `the last backup (${last.file}) is ${Math.round(hours)} hours old`, fix: `check the backup schedule (deploy/hotline-backup.timer: systemctl status hotline-backup.timer); BACKUP_MAX_AGE_HOURS=${config.backupMaxAgeHours}` }
      : { id: 'backup.age', status: 'ok', message: `last backup ${Math.round(hours * 10) / 10} hours ago (${last.file})` });
  }
  return items;
}

/** Every item, with DOCTOR_ALLOW applied. */
export async function runDoctor(config: AppConfig, defs: DoctorDefinitions, deps: DoctorDeps = {}): Promise<DoctorItem[]> {
  const items = [
    ...settingsItems(config),
    ...(await storeItems(config)),
    ...(await carrierItems(config, deps)),
    ...contentItems(config, defs),
    ...machineItems(config, deps),
  ];
  const allow = new Set(config.doctorAllow);
  for (const item of items) if (item.status === 'blocker' && allow.has(item.id)) item.allowed = true;
  return items;
}

export const unallowedBlockers = (items: readonly DoctorItem[]) => items.filter((i) => i.status === 'blocker' && !i.allowed);

/** The checks that change while the line runs: what the doctor timer alerts on. */
export const ALERT_ITEMS = ['backup.age', 'disk.space'] as const;

/**
 * `npm run doctor -- --alert`: the warnings and blockers among ALERT_ITEMS, each with its fix, as
 * the alert's text (a sentence when all is well: the timer's log says it ran).
 */
export function alertReport(items: readonly DoctorItem[]): { lines: string; problems: number } {
  const problems = items.filter((i) => (ALERT_ITEMS as readonly string[]).includes(i.id) && i.status !== 'ok');
  if (!problems.length) return { lines: `ok: ${ALERT_ITEMS.join(' and ')} need nothing`, problems: 0 };
  return { lines: formatDoctor(problems).split('\n\n')[0], problems: problems.length };
}

export function formatDoctor(items: readonly DoctorItem[]): string {
  const mark: Record<DoctorStatus, string> = { ok: 'ok     ', warning: 'WARNING', blocker: 'BLOCKER' };
  const lines = items.map((i) => `${mark[i.status]} ${i.id}: ${i.message}${i.allowed ? ' [allowed by DOCTOR_ALLOW]' : ''}${i.fix && i.status !== 'ok' ? `\n        fix: ${i.fix}` : ''}`);
  const blockers = unallowedBlockers(items).length;
  const warnings = items.filter((i) => i.status === 'warning').length;
  lines.push('', blockers
    ? `${blockers} blocker(s): not ready for a real line. In production the hotline refuses to start until each is fixed (or named in DOCTOR_ALLOW).`
    : `no blockers${warnings ? `, ${warnings} warning(s)` : ''}: ready for a real line.`);
  return lines.join('\n');
}
