import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { lazyAjv, type LazyValidator } from '../schema-validation';
import { SETTINGS, SettingSpec } from './settings';
import { ConfigError } from '../errors';
import { mongodbUriProblem } from './mongodb-uri';
import { OutboundSettings, parseOutboundSettings } from '../outbound/outbound-settings';
import { CarrierName, SOMLENG_KEEPS_RECORDINGS } from '../telephony/carrier-profile';
import { MIN_CALLERS_FLOOR } from '../reports/figures';
import { parsePublicationSetting, PublicationSetting } from '../public/public-periods';

export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  publicBaseUrl: string;
  twilioAccountSid: string;
  twilioAuthToken: string;
  signatureCheck: boolean;
  /** CARRIER: the platform that connects the calls (see src/telephony/carrier-profile.ts). */
  carrier: CarrierName;
  carrierApiUrl: string;
  /** CARRIER_MEDIA_HOSTS: hosts a recording download may be redirected to. */
  carrierMediaHosts: string[];
  deleteRecordingsAtCarrier: boolean;
  recordingDownloadMaxAttempts: number;
  recordingRetryBaseSeconds: number;
  mongodbUri: string;
  mongodbDb: string;
  dataDir: string;
  callerHashSecret: string;
  sessionSecret: string;
  audioDir: string;
  /** Uploaded recordings converted at once by this instance (AUDIO_DECODES_AT_ONCE). */
  audioDecodesAtOnce: number;
  /** Wrong provider PIN tries before a lockout, and its length (PROVIDER_PIN_MAX_FAILURES, PROVIDER_PIN_LOCKOUT_MINUTES). */
  providerPinMaxFailures: number;
  providerPinLockoutMinutes: number;
  /** The language menu offers only languages with every prompt recorded (ONLY_READY_LANGUAGES). */
  onlyReadyLanguages: boolean;
  /** Khmer machine-voice drafts count as recorded (ACCEPT_KHMER_MACHINE_VOICE). */
  acceptKhmerMachineVoice: boolean;
  flowFile: string;
  languagesFile: string;
  scorecardFile: string;
  /** Communes and facilities callers choose by name (src/site/programme-areas.ts). */
  programmeAreasFile: string;
  promptCatalogFile: string;
  i4cContentDir: string;
  /** Key file for Google Cloud Text-to-Speech (prompt drafts); empty when not set. */
  googleCredentialsFile: string;
  gazetteerDir: string;
  logLevel: string;
  /** Missed-call callbacks and other outbound calls (src/outbound). */
  outbound: OutboundSettings;
  /** Distinct callers a published report figure rests on at least (never below 5). */
  reportMinCallers: number;
  /** A report counted this recently is shown again rather than counted again (REPORT_FRESH_SECONDS). */
  reportFreshSeconds: number;
  /** HOTLINE_NUMBER: printed on public pages and posters ('' = not set; the posters say so). */
  hotlineNumber: string;
  /** PUBLIC_REQUESTS_PER_MINUTE: the public pages' own rate limit per client address (src/public/public-rate-limit.ts). */
  publicRequestsPerMinute: number;
  /** Which fixed periods' results are published to citizens (PUBLIC_RESULTS; src/public/public-periods.ts). */
  publicResults: PublicationSetting;
  /** The operator's own content (SITE_DIR); see src/site/site-folder.ts. */
  siteDir: string;
  /** Shipped prompt audio that seeds siteDir/audio; '' when AUDIO_DIR is set explicitly (then used as is). */
  shippedAudioDir: string;
  /** The site's prompt-text overlay (written by sync-content); '' when PROMPT_CATALOG_FILE is set explicitly. */
  sitePromptCatalogFile: string;
  /** Doctor blocker ids production starts with anyway (DOCTOR_ALLOW). */
  doctorAllow: string[];
  backupMaxAgeHours: number;
  /** ALERT_COMMAND: what deploy/hotline-notify.sh runs when a unit fails ('' = nobody is told). */
  alertCommand: string;
  /** Express's "trust proxy": false, a hop count, or the proxies' addresses (TRUST_PROXY). */
  trustProxy: false | number | string[];
  /** HOST was left empty and a proxy is trusted, so the server listens on loopback only (said in the start-up log). */
  hostChosenForProxy: boolean;
  httpMaxConnections: number;
  /** HTTP_MAX_CONNECTIONS_PER_CLIENT (src/http-server.ts). */
  httpMaxConnectionsPerClient: number;
  auditRetentionDays: number;
  /** The Prometheus /metrics listener (src/ops/metrics-endpoint.ts): port 0 = none. */
  metrics: { port: number; host: string; token: string };
  /** Names of secrets that were generated for development because they were not set. */
  generatedSecrets: string[];
}

type RawEnv = Record<string, string | undefined>;

/** Parses a dotenv file: KEY=value lines, # comments, optional quotes. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    let value = m[2];
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    out[m[1]] = value;
  }
  return out;
}

// Compiled once per kind of setting, not on every loadConfig (tests and tools load settings thousands of times).
const settingValidators = new Map<string, LazyValidator>();
function validatorFor(spec: SettingSpec): LazyValidator {
  const schema = schemaFor(spec);
  const key = JSON.stringify(schema);
  let validate = settingValidators.get(key);
  if (!validate) settingValidators.set(key, (validate = settingsAjv.compile(schema)));
  return validate;
}
const settingsAjv = lazyAjv({ allErrors: true });

function schemaFor(spec: SettingSpec): object {
  switch (spec.type) {
    case 'integer': return { type: 'string', pattern: '^[0-9]{1,5}$' };
    case 'boolean': return { type: 'string', enum: ['true', 'false'] };
    case 'url': return { type: 'string', pattern: '^https?://[^/\\s]+(/[^\\s]*[^/\\s])?$' };
    case 'enum': return { type: 'string', enum: spec.values };
    default: return { type: 'string' };
  }
}

function explain(spec: SettingSpec, value: string): string {
  switch (spec.type) {
    case 'integer': return `${spec.name}=${JSON.stringify(value)} is not a whole number`;
    case 'url': return `${spec.name}=${JSON.stringify(value)} is not an http(s) URL without a trailing slash (for example https://hotline.example.org)`;
    case 'enum': return `${spec.name}=${JSON.stringify(value)} must be one of: ${spec.values!.join(', ')}`;
    default: return `${spec.name}=${JSON.stringify(value)} is not valid`;
  }
}

/** Express's named ranges (proxy-addr): loopback, link-local and unique-local addresses. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * TRUST_PROXY as Express's "trust proxy" takes it, minus `true` (trusting every hop lets any
 * client write its own X-Forwarded-For and pick its address, escaping the sign-in limits).
 */
export function parseTrustProxy(raw: string): { value: false | number | string[] } | { problem: string } {
  const v = raw.trim().toLowerCase();
  if (v === '' || v === 'off' || v === 'false' || v === '0') return { value: false };
  if (/^[0-9]{1,2}$/.test(v)) return { value: Number(v) };
  if (['true', 'on', 'all', 'yes'].includes(v)) {
    return { problem: `TRUST_PROXY=${raw} would trust every X-Forwarded-For, so any client could choose its own address: give the number of proxies in front (usually 1) or their addresses` };
  }
  const items = v.split(',').map((x) => x.trim()).filter(Boolean);
  const bad = items.filter((item) => {
    if (PROXY_RANGE_NAMES.includes(item)) return false;
    const [address, prefix, ...rest] = item.split('/');
    const family = net.isIP(address);
    if (!family || rest.length) return true;
    if (prefix === undefined) return false;
    return !/^[0-9]{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128);
  });
  if (bad.length || !items.length) {
    return { problem: `TRUST_PROXY=${JSON.stringify(raw)} is not off, a hop count, or a comma-separated list of addresses, CIDRs or ${PROXY_RANGE_NAMES.join('/')} (bad: ${bad.join(', ')})` };
  }
  return { value: items };
}

const isLoopbackHost = (host: string) => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * Where the server listens. A trusted proxy is only a protection if nobody can reach the server
 * around it: with HOST left empty and TRUST_PROXY set, the server listens on 127.0.0.1 only.
 * A hop count (TRUST_PROXY=1) believes the X-Forwarded-For of whoever connects, so with it a
 * HOST other than loopback is refused: any client reaching the port directly would choose its
 * own address (and so escape the sign-in limits and write what the audit log says). Proxies
 * named by address are believed only from those addresses, so any HOST is safe with them.
 */
export function listenHost(hostSetting: string, trustProxy: false | number | string[]): { host: string; chosenForProxy: boolean; problem?: string } {
  const set = hostSetting.trim();
  if (!set) return trustProxy === false ? { host: '0.0.0.0', chosenForProxy: false } : { host: '127.0.0.1', chosenForProxy: true };
  if (typeof trustProxy === 'number' && trustProxy > 0 && !isLoopbackHost(set)) {
    return {
      host: set, chosenForProxy: false,
      problem: `TRUST_PROXY=${trustProxy} (a hop count) believes the X-Forwarded-For of whoever connects, and HOST=${set} lets clients connect without the proxy and choose their own address: leave HOST empty (the server then listens on 127.0.0.1, behind a proxy on this machine), or name the proxy by its address in TRUST_PROXY (loopback, 10.0.0.5, uniquelocal)`,
    };
  }
  return { host: set, chosenForProxy: false };
}

/** The start-up log's word on where the server listens and why. */
export function listenNote(config: Pick<AppConfig, 'host' | 'port' | 'hostChosenForProxy' | 'trustProxy'>): string {
  if (config.hostChosenForProxy) {
    return `listening on ${config.host}:${config.port} only, because TRUST_PROXY names a proxy and HOST is empty: every client must come through the proxy. If the proxy is on another machine, set HOST to this machine's address and TRUST_PROXY to the proxy's address`;
  }
  return `listening on ${config.host}:${config.port}${config.trustProxy === false ? '' : ` behind the proxy TRUST_PROXY names (${String(config.trustProxy)})`}`;
}

/**
 * The metrics listener stays apart from the public port (a proxy forwarding PORT never exposes
 * it), and off loopback only behind a token: the figures tell an outsider how busy the line is.
 */
function metricsProblems(values: Record<string, string>, publicPort: number): string[] {
  const problems: string[] = [];
  const port = Number(values.METRICS_PORT);
  if (!Number.isFinite(port) || port === 0) return problems;
  if (port > 65535) problems.push(`METRICS_PORT=${values.METRICS_PORT} must be between 1 and 65535 (or 0: no metrics listener)`);
  if (port === publicPort) problems.push(`METRICS_PORT=${port} is the public PORT: give the metrics listener a port of its own (for example 9464), so a proxy forwarding PORT never exposes /metrics`);
  const host = (values.METRICS_HOST ?? '').trim();
  if (!host) problems.push('METRICS_HOST is empty: leave it at 127.0.0.1 (Prometheus on this machine, or an SSH tunnel)');
  const token = values.METRICS_TOKEN ?? '';
  if (token && token.length < 16) problems.push('METRICS_TOKEN is shorter than 16 characters: anyone could guess it (openssl rand -hex 32 makes a good one)');
  if (host && !isLoopbackHost(host) && !token) {
    problems.push(`METRICS_HOST=${host} lets other machines read /metrics: set METRICS_TOKEN (Prometheus sends it as a bearer token), or keep METRICS_HOST=127.0.0.1 and reach it through an SSH tunnel`);
  }
  return problems;
}

/** Development secrets are generated once and kept beside the embedded store, so callers stay known across restarts. */
function loadOrCreateDevSecrets(dataDir: string, names: string[]): Record<string, string> {
  const file = path.join(dataDir, 'development-secrets.json');
  let secrets: Record<string, string> = {};
  try {
    secrets = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    /* first start */
  }
  let changed = false;
  for (const name of names) {
    if (!secrets[name]) {
      secrets[name] = crypto.randomBytes(32).toString('hex');
      changed = true;
    }
  }
  if (changed) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}

/** The settings file named by `envFile` or HOTLINE_ENV_FILE (the service's, for the tools: src/config/tool-settings.ts), else `.env` if present. */
function readSettingsFile(cwd: string, envFile: string | undefined): Record<string, string> {
  const named = envFile ?? process.env.HOTLINE_ENV_FILE;
  if (!named) {
    const dotEnv = path.join(cwd, '.env');
    return fs.existsSync(dotEnv) ? parseEnvFile(fs.readFileSync(dotEnv, 'utf8')) : {};
  }
  try {
    return parseEnvFile(fs.readFileSync(path.resolve(cwd, named), 'utf8'));
  } catch (err) {
    throw new ConfigError(`Configuration is invalid:\n  - the settings file ${named} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): check the path, and run the tool as a user who may read it (root, or a member of the group hotline)`);
  }
}

/**
 * Reads settings from `env` (defaults to the process environment plus a settings file: `envFile`,
 * HOTLINE_ENV_FILE, or `.env` in the working directory; the environment winning), checks each
 * against its schema and returns a typed config. Throws ConfigError naming every bad or missing setting.
 */
export function loadConfig(env?: RawEnv, opts: { cwd?: string; envFile?: string } = {}): AppConfig {
  const cwd = opts.cwd ?? process.cwd();
  let source: RawEnv;
  if (env) {
    source = env;
  } else {
    source = { ...readSettingsFile(cwd, opts.envFile), ...process.env };
  }

  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (const spec of SETTINGS) {
    const raw = source[spec.name];
    const value = raw === undefined || raw === '' ? spec.default : raw.trim();
    if (value === undefined) continue; // a secret without a value: handled below
    if (!validatorFor(spec)(value)) problems.push(explain(spec, value));
    values[spec.name] = value;
  }
  const port = Number(values.PORT);
  if (Number.isFinite(port) && (port < 1 || port > 65535)) problems.push(`PORT=${values.PORT} must be between 1 and 65535`);
  const minCallers = Number(values.REPORT_MIN_CALLERS);
  if (Number.isFinite(minCallers) && minCallers < MIN_CALLERS_FLOOR) {
    problems.push(`REPORT_MIN_CALLERS=${values.REPORT_MIN_CALLERS} is below ${MIN_CALLERS_FLOOR}: no published figure may rest on fewer than ${MIN_CALLERS_FLOOR} callers`);
  }

  let publicResults: PublicationSetting = { publish: 'off' };
  try {
    publicResults = parsePublicationSetting(values.PUBLIC_RESULTS ?? 'off');
  } catch (err) {
    problems.push((err as Error).message);
  }

  const mediaHosts = (values.CARRIER_MEDIA_HOSTS ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  for (const h of mediaHosts) {
    if (!/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:[0-9]{1,5})?$/.test(h)) problems.push(`CARRIER_MEDIA_HOSTS entry ${JSON.stringify(h)} is not a host name (host, host:port or *.example.org)`);
  }
  if (values.CARRIER === 'somleng' && /^https?:\/\/api\.twilio\.com$/.test(values.CARRIER_API_URL ?? '')) {
    problems.push('CARRIER=somleng but CARRIER_API_URL is still Twilio\'s: set it to your Somleng API (for example https://api.somleng.org), where its recordings are');
  }
  const trustProxy = parseTrustProxy(values.TRUST_PROXY ?? '');
  if ('problem' in trustProxy) problems.push(trustProxy.problem);
  if (Number(values.AUDIT_RETENTION_DAYS) < 90) problems.push(`AUDIT_RETENTION_DAYS=${values.AUDIT_RETENTION_DAYS} is too short: at least 90 days, so an investigation can still find what staff did`);
  if (Number(values.PROVIDER_PIN_MAX_FAILURES) < 1) problems.push(`PROVIDER_PIN_MAX_FAILURES=${values.PROVIDER_PIN_MAX_FAILURES} is too low: at least 1, or no provider could ever sign in`);
  if (Number(values.PROVIDER_PIN_LOCKOUT_MINUTES) < 1) problems.push(`PROVIDER_PIN_LOCKOUT_MINUTES=${values.PROVIDER_PIN_LOCKOUT_MINUTES} is too low: at least 1, or wrong PINs could be tried without end`);
  if (Number(values.AUDIO_DECODES_AT_ONCE) < 1) problems.push(`AUDIO_DECODES_AT_ONCE=${values.AUDIO_DECODES_AT_ONCE} is too low: at least 1, or no recording can be uploaded`);
  if (Number(values.HTTP_MAX_CONNECTIONS) < 10) problems.push(`HTTP_MAX_CONNECTIONS=${values.HTTP_MAX_CONNECTIONS} is too low: at least 10`);
  if (Number(values.PUBLIC_REQUESTS_PER_MINUTE) < 10) problems.push(`PUBLIC_REQUESTS_PER_MINUTE=${values.PUBLIC_REQUESTS_PER_MINUTE} is too low: at least 10, or one family's phone reading a few pages would be refused`);
  if (Number(values.HTTP_MAX_CONNECTIONS_PER_CLIENT) < 4) problems.push(`HTTP_MAX_CONNECTIONS_PER_CLIENT=${values.HTTP_MAX_CONNECTIONS_PER_CLIENT} is too low: at least 4 (a browser opens several)`);
  problems.push(...metricsProblems(values, port));
  const mongodbProblem = mongodbUriProblem(values.MONGODB_URI ?? '');
  if (mongodbProblem) problems.push(mongodbProblem);
  const listen = listenHost(values.HOST ?? '', 'value' in trustProxy ? trustProxy.value : false);
  if (listen.problem) problems.push(listen.problem);

  const nodeEnv = (values.NODE_ENV ?? 'development') as AppConfig['nodeEnv'];
  const missingSecrets = SETTINGS.filter((s) => s.secret && !values[s.name]).map((s) => s.name);
  if (nodeEnv === 'production') {
    for (const name of missingSecrets) problems.push(`${name} is required in production (see .env.example)`);
    if (values.TWILIO_SIGNATURE_CHECK === 'off') problems.push('TWILIO_SIGNATURE_CHECK=off is refused in production');
    if (values.ONLY_READY_LANGUAGES === 'off') problems.push('ONLY_READY_LANGUAGES=off is refused in production: a caller would meet prompts nobody recorded in their language');
    if (!values.TWILIO_ACCOUNT_SID) problems.push('TWILIO_ACCOUNT_SID is required in production: voice messages are downloaded from the carrier with it');
    // The default (localhost) can never match what a real carrier signs.
    if (!source.PUBLIC_BASE_URL) problems.push('PUBLIC_BASE_URL is required in production: the URL the carrier calls, which webhook signatures are checked against');
  }
  if (problems.length > 0) {
    throw new ConfigError(`Configuration is invalid:\n  - ${problems.join('\n  - ')}`);
  }

  const dataDir = path.resolve(cwd, values.DATA_DIR);
  const generated = missingSecrets.length ? loadOrCreateDevSecrets(dataDir, missingSecrets) : {};
  const secret = (name: string) => values[name] ?? generated[name];
  const resolve = (p: string) => path.resolve(cwd, p);
  const outbound = parseOutboundSettings({ ...values, CALLBACK_NUMBER_KEY: secret('CALLBACK_NUMBER_KEY') });
  if (!outbound.settings) throw new ConfigError(`Configuration is invalid:\n  - ${outbound.problems.join('\n  - ')}`);
  // The operator's content lives in the site folder; a setting left unset takes the site's file
  // when there is one, else the shipped default (so `git pull` never meets an operator's edit).
  const siteDir = values.SITE_DIR ? resolve(values.SITE_DIR) : path.join(dataDir, 'site');
  const explicit = (name: string) => Boolean(source[name]?.trim());
  const siteOr = (name: string, inSite: string) =>
    !explicit(name) && fs.existsSync(path.join(siteDir, inSite)) ? path.join(siteDir, inSite) : resolve(values[name]);

  return {
    nodeEnv,
    port,
    host: listen.host,
    publicBaseUrl: values.PUBLIC_BASE_URL,
    twilioAccountSid: values.TWILIO_ACCOUNT_SID,
    twilioAuthToken: secret('TWILIO_AUTH_TOKEN'),
    signatureCheck: values.TWILIO_SIGNATURE_CHECK !== 'off',
    carrier: values.CARRIER as CarrierName,
    carrierApiUrl: values.CARRIER_API_URL,
    carrierMediaHosts: mediaHosts,
    deleteRecordingsAtCarrier: values.DELETE_RECORDINGS_AT_CARRIER !== 'false',
    recordingDownloadMaxAttempts: Math.max(1, Number(values.RECORDING_DOWNLOAD_MAX_ATTEMPTS)),
    recordingRetryBaseSeconds: Number(values.RECORDING_RETRY_BASE_SECONDS),
    mongodbUri: values.MONGODB_URI,
    mongodbDb: values.MONGODB_DB,
    dataDir,
    callerHashSecret: secret('CALLER_HASH_SECRET'),
    sessionSecret: secret('SESSION_SECRET'),
    audioDir: explicit('AUDIO_DIR') ? resolve(values.AUDIO_DIR) : path.join(siteDir, 'audio'),
    audioDecodesAtOnce: Number(values.AUDIO_DECODES_AT_ONCE),
    providerPinMaxFailures: Number(values.PROVIDER_PIN_MAX_FAILURES),
    providerPinLockoutMinutes: Number(values.PROVIDER_PIN_LOCKOUT_MINUTES),
    flowFile: siteOr('FLOW_FILE', 'config/flow.json'),
    languagesFile: siteOr('LANGUAGES_FILE', 'config/languages.json'),
    scorecardFile: siteOr('SCORECARD_FILE', 'config/scorecard.json'),
    programmeAreasFile: siteOr('PROGRAMME_AREAS_FILE', 'config/programme-areas.json'),
    onlyReadyLanguages: values.ONLY_READY_LANGUAGES === 'on' || (values.ONLY_READY_LANGUAGES === 'auto' && nodeEnv === 'production'),
    acceptKhmerMachineVoice: values.ACCEPT_KHMER_MACHINE_VOICE === 'true',
    promptCatalogFile: resolve(values.PROMPT_CATALOG_FILE),
    i4cContentDir: siteOr('I4C_CONTENT_DIR', 'content/i4c'),
    googleCredentialsFile: values.GOOGLE_APPLICATION_CREDENTIALS ? resolve(values.GOOGLE_APPLICATION_CREDENTIALS) : '',
    gazetteerDir: resolve(values.GAZETTEER_DIR),
    logLevel: values.LOG_LEVEL,
    outbound: outbound.settings,
    reportMinCallers: minCallers,
    reportFreshSeconds: Number(values.REPORT_FRESH_SECONDS),
    hotlineNumber: (values.HOTLINE_NUMBER ?? '').trim(),
    publicRequestsPerMinute: Number(values.PUBLIC_REQUESTS_PER_MINUTE),
    publicResults,
    siteDir,
    shippedAudioDir: explicit('AUDIO_DIR') ? '' : resolve(values.AUDIO_DIR),
    sitePromptCatalogFile: explicit('PROMPT_CATALOG_FILE') ? '' : path.join(siteDir, 'prompts', 'catalog.json'),
    doctorAllow: (values.DOCTOR_ALLOW ?? '').split(',').map((id) => id.trim()).filter(Boolean),
    backupMaxAgeHours: Number(values.BACKUP_MAX_AGE_HOURS),
    alertCommand: values.ALERT_COMMAND ?? '',
    trustProxy: 'value' in trustProxy ? trustProxy.value : false,
    hostChosenForProxy: listen.chosenForProxy,
    httpMaxConnections: Number(values.HTTP_MAX_CONNECTIONS),
    httpMaxConnectionsPerClient: Number(values.HTTP_MAX_CONNECTIONS_PER_CLIENT),
    auditRetentionDays: Number(values.AUDIT_RETENTION_DAYS),
    metrics: { port: Number(values.METRICS_PORT), host: values.METRICS_HOST, token: values.METRICS_TOKEN },
    generatedSecrets: missingSecrets,
  };
}

/** Settings that are allowed but risky: the app logs each of these at start-up (src/server.ts). */
export function startupWarnings(config: AppConfig): string[] {
  const warnings: string[] = [];
  if (!config.signatureCheck) {
    warnings.push('TWILIO_SIGNATURE_CHECK=off: webhooks are NOT authenticated; anyone can post fake calls. Never run a real line like this.');
  }
  const apiHost = new URL(config.carrierApiUrl).hostname;
  if (config.carrier === 'twilio' && !/(^|\.)twilio\.com$/.test(apiHost) && !['127.0.0.1', 'localhost', '::1', '[::1]'].includes(apiHost)) {
    warnings.push(`CARRIER=twilio but CARRIER_API_URL (${config.carrierApiUrl}) is not Twilio's: if this is Somleng, set CARRIER=somleng, or callers who pause between keys lose their commune code`);
  }
  if (config.carrier === 'somleng' && config.deleteRecordingsAtCarrier) {
    warnings.push(`CARRIER=somleng: ${SOMLENG_KEEPS_RECORDINGS}. Each stored voice message shows "kept at the carrier".`);
  }
  if (!config.deleteRecordingsAtCarrier) {
    warnings.push('DELETE_RECORDINGS_AT_CARRIER=false: every voice message also stays at the carrier, a third party');
  }
  if (config.generatedSecrets.length) {
    warnings.push(`development mode: ${config.generatedSecrets.join(', ')} were not set and were generated into ${config.dataDir}/development-secrets.json; a real carrier will be refused until TWILIO_AUTH_TOKEN is set`);
  }
  return warnings;
}
