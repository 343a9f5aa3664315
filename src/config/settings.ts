/**
 * Every setting the app reads, with its type, default and a one-line doc.
 * `.env.example` mirrors this table (a test keeps them in step); nothing outside
 * `src/config` reads `process.env`.
 */
export interface SettingSpec {
  name: string;
  type: 'string' | 'integer' | 'boolean' | 'url' | 'enum';
  values?: readonly string[];
  default?: string;
  /** Required in production; in development a missing secret is generated and kept in DATA_DIR. */
  secret?: boolean;
  /**
   * A file or folder. `.env.example` leaves it commented out at its default: a value set there
   * wins over the site folder and, copied into a systemd EnvironmentFile, over the unit's DATA_DIR.
   */
  path?: boolean;
  doc: string;
}

export const SETTINGS: readonly SettingSpec[] = [
  { name: 'NODE_ENV', type: 'enum', values: ['development', 'production', 'test'], default: 'development',
    doc: 'production makes every secret mandatory; development generates missing ones into DATA_DIR' },
  { name: 'PORT', type: 'integer', default: '3000', doc: 'TCP port the HTTP server listens on' },
  { name: 'HOST', type: 'string', default: '',
    doc: 'interface the HTTP server binds to; empty: 127.0.0.1 when TRUST_PROXY names a proxy (nobody can go around it), else 0.0.0.0' },
  { name: 'PUBLIC_BASE_URL', type: 'url', default: 'http://localhost:3000',
    doc: 'the URL the carrier calls (scheme://host[:port], no trailing slash); webhook signatures and audio URLs use it' },
  { name: 'TWILIO_ACCOUNT_SID', type: 'string', default: '',
    doc: 'carrier account SID (Twilio or Somleng); used to fetch and delete recordings' },
  { name: 'TWILIO_AUTH_TOKEN', type: 'string', secret: true,
    doc: 'carrier auth token: checks X-Twilio-Signature and authenticates recording downloads' },
  { name: 'TWILIO_SIGNATURE_CHECK', type: 'enum', values: ['on', 'off'], default: 'on',
    doc: 'off disables webhook signature checks (never in production; the app warns at start-up)' },
  { name: 'CARRIER', type: 'enum', values: ['twilio', 'somleng'], default: 'twilio',
    doc: 'which platform connects the calls: twilio, or somleng (ends a Gather after 2 s between keys; cannot delete recordings)' },
  { name: 'CARRIER_API_URL', type: 'url', default: 'https://api.twilio.com',
    doc: 'the carrier REST API; recordings are only downloaded (and deleted) under this URL, any other RecordingUrl is refused' },
  { name: 'CARRIER_MEDIA_HOSTS', type: 'string', default: '',
    doc: 'comma-separated hosts (host[:port] or *.suffix) a recording download may be redirected to besides CARRIER_API_URL, e.g. Somleng\'s S3 bucket host' },
  { name: 'DELETE_RECORDINGS_AT_CARRIER', type: 'boolean', default: 'true',
    doc: 'true deletes each recording at the carrier once it is downloaded, verified and stored here' },
  { name: 'RECORDING_DOWNLOAD_MAX_ATTEMPTS', type: 'integer', default: '12',
    doc: 'tries per recording (download, then delete at the carrier) before it is marked failed' },
  { name: 'RECORDING_RETRY_BASE_SECONDS', type: 'integer', default: '30',
    doc: 'wait before the first retry of a recording download; doubles each time, at most one hour' },
  { name: 'MONGODB_URI', type: 'string', default: '',
    doc: 'MongoDB connection string; empty means the embedded store on disk under DATA_DIR' },
  { name: 'MONGODB_DB', type: 'string', default: 'hotline', doc: 'database name on the MongoDB server' },
  { name: 'DATA_DIR', type: 'string', path: true, default: './data/local',
    doc: 'folder for the embedded store, recordings on the embedded store, and generated development secrets' },
  { name: 'CALLER_HASH_SECRET', type: 'string', secret: true,
    doc: 'key of the HMAC that replaces caller phone numbers; changing it forgets every caller' },
  { name: 'SESSION_SECRET', type: 'string', secret: true, doc: 'key that signs staff session and CSRF tokens' },
  { name: 'AUDIO_DIR', type: 'string', path: true, default: './audio', doc: 'shipped prompt audio (<language>/<promptId>.wav) that seeds SITE_DIR/audio, which is played; set it to play one folder as is' },
  { name: 'AUDIO_DECODES_AT_ONCE', type: 'integer', default: '2',
    doc: 'uploaded recordings (studio prompts, recorded answers) this instance converts at once; more wait up to 20 s, then are refused with "try again"' },
  { name: 'ONLY_READY_LANGUAGES', type: 'enum', values: ['auto', 'on', 'off'], default: 'auto',
    doc: 'on offers a language on the language menu only while every prompt a caller can reach in it is recorded; auto is on in production; off is refused in production' },
  { name: 'ACCEPT_KHMER_MACHINE_VOICE', type: 'boolean', default: 'false',
    doc: 'true counts Khmer prompts drafted by `npm run prompts -- synthesize` as recorded (never another language)' },
  { name: 'FLOW_FILE', type: 'string', path: true, default: './flows/default.json', doc: 'the call flow definition (JSON); unset: SITE_DIR/config/flow.json when present' },
  { name: 'LANGUAGES_FILE', type: 'string', path: true, default: './config/languages.json',
    doc: 'languages offered on the language menu, their order and keys; unset: SITE_DIR/config/languages.json when present' },
  { name: 'SCORECARD_FILE', type: 'string', path: true, default: './config/scorecard.json', doc: 'services and their indicators; unset: SITE_DIR/config/scorecard.json when present' },
  { name: 'PROGRAMME_AREAS_FILE', type: 'string', path: true, default: './config/programme-areas.json',
    doc: 'communes and facilities callers choose by name (a sample ships); unset: SITE_DIR/config/programme-areas.json when present' },
  { name: 'PROMPT_CATALOG_FILE', type: 'string', path: true, default: './prompts/catalog.json',
    doc: 'every prompt id with its reference text per language; unset: SITE_DIR/prompts/catalog.json overlays its texts' },
  { name: 'I4C_CONTENT_DIR', type: 'string', path: true, default: './content/i4c',
    doc: 'Information for Citizens texts, one <service>.<language>.json per service and language; unset: SITE_DIR/content/i4c when present' },
  { name: 'GOOGLE_APPLICATION_CREDENTIALS', type: 'string', path: true, default: '',
    doc: 'Google Cloud service-account key file, used only by `npm run prompts -- synthesize`' },
  { name: 'GAZETTEER_DIR', type: 'string', path: true, default: './data/gazetteer', doc: 'provinces, districts and communes CSV files' },
  { name: 'REPORT_MIN_CALLERS', type: 'integer', default: '5',
    doc: 'distinct callers a published report figure rests on at least; smaller figures are withheld (never below 5)' },
  { name: 'REPORT_FRESH_SECONDS', type: 'integer', default: '60',
    doc: 'a report (same period and area) opened again within this many seconds of being counted shows the same figures, with the time they were counted; 0 counts every time' },
  { name: 'TRUST_PROXY', type: 'string', default: 'off',
    doc: 'which reverse proxy in front may name the client in X-Forwarded-For: off, a hop count (1 = one proxy), or its addresses/CIDRs (comma-separated; loopback, linklocal, uniquelocal)' },
  { name: 'HTTP_MAX_CONNECTIONS', type: 'integer', default: '1000',
    doc: 'open connections the server accepts at once; more are closed at once, so slow clients cannot use up the server' },
  { name: 'HTTP_MAX_CONNECTIONS_PER_CLIENT', type: 'integer', default: '300',
    doc: 'open connections one client address may hold at once (a proxy TRUST_PROXY trusts is exempt: it limits its own clients; the carrier\'s peak must fit); more are closed at once' },
  { name: 'AUDIT_RETENTION_DAYS', type: 'integer', default: '400',
    doc: 'staff audit-log entries older than this many days are deleted (checked at start-up and every 6 hours; at least 90)' },
  // Outbound calls (src/outbound): missed-call callbacks. One block; .env.example follows it.
  { name: 'CALLBACK_NUMBER_KEY', type: 'string', secret: true,
    doc: 'AES-256-GCM key (64 hex characters) for caller numbers kept only while their callback is due; erased when it ends' },
  { name: 'OUTBOUND_FROM_NUMBER', type: 'string', default: '',
    doc: 'number callbacks are placed from (yours at the carrier, E.164 like +85523xxxxxx); empty: callbacks are queued, never placed' },
  { name: 'OUTBOUND_ALLOWED_PREFIXES', type: 'string', default: '+855',
    doc: 'comma-separated E.164 prefixes a callback may ring; any other number is never called' },
  { name: 'OUTBOUND_MAX_CONCURRENT', type: 'integer', default: '4', doc: 'most outbound calls ringing or talking at once, across all app instances' },
  { name: 'OUTBOUND_MAX_PER_MINUTE', type: 'integer', default: '30',
    doc: 'most outbound calls started per minute, spread evenly (keep under the carrier account calls-per-second limit)' },
  { name: 'OUTBOUND_CALLING_HOURS', type: 'string', default: '08:00-19:00',
    doc: 'when callbacks may ring, HH:MM-HH:MM in Cambodia time (Asia/Phnom_Penh, UTC+7)' },
  { name: 'OUTBOUND_DAILY_BUDGET', type: 'integer', default: '300', doc: 'most outbound calls placed per Cambodian day (retries count); 0 stops calling' },
  { name: 'OUTBOUND_MAX_ATTEMPTS', type: 'integer', default: '3', doc: 'calls per callback (busy, no answer, failed are retried) before it is abandoned' },
  { name: 'OUTBOUND_RETRY_BASE_SECONDS', type: 'integer', default: '600', doc: 'wait before the second call of a callback; doubles each time, at most six hours' },
  { name: 'CALLBACK_DAILY_LIMIT_PER_NUMBER', type: 'integer', default: '2', doc: 'most missed-call callbacks one number gets per Cambodian day' },
  { name: 'CALLBACK_WEEKLY_CALLS_PER_NUMBER', type: 'integer', default: '8',
    doc: 'most missed-call callback calls (retries count) one number gets in any 7 days; a new ring beyond it is not queued' },
  { name: 'CALLBACK_QUEUE_MAX_PER_HOUR', type: 'integer', default: '60',
    doc: 'most missed-call callbacks queued per clock hour, all numbers together; further rings get the busy reject only, and staff are told' },
  { name: 'CALLBACK_QUEUE_MAX_WAITING', type: 'integer', default: '200',
    doc: 'most missed-call callbacks waiting at once; further rings get the busy reject only, and staff are told' },
  { name: 'OUTBOUND_MAX_WAIT_HOURS', type: 'integer', default: '4',
    doc: 'calling hours a callback may wait to be placed (counted from the ring, or from the answer chosen); then it is dropped and its number erased' },
  // Prometheus metrics (src/ops/metrics.ts): off unless METRICS_PORT is set; never on the public PORT.
  { name: 'METRICS_PORT', type: 'integer', default: '0',
    doc: 'port of a separate listener that serves GET /metrics (Prometheus text format); 0 = no metrics listener. Never the public PORT, so a proxy in front of PORT cannot expose it' },
  { name: 'METRICS_HOST', type: 'string', default: '127.0.0.1',
    doc: 'interface the metrics listener binds to; keep 127.0.0.1 (Prometheus on this machine, or an SSH tunnel); another address needs METRICS_TOKEN' },
  { name: 'METRICS_TOKEN', type: 'string', default: '',
    doc: 'when set, /metrics answers only requests with the header "Authorization: Bearer <this value>" (at least 16 characters)' },
  { name: 'LOG_LEVEL', type: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'silent'], default: 'info',
    doc: 'minimum level written to the log (standard output, JSON lines)' },
  // Going live and staying live (site folder, readiness check, backups): see README "Going live".
  { name: 'SITE_DIR', type: 'string', path: true, default: '',
    doc: "the operator's own content, kept out of the code: audio/, config/, content/i4c/, prompts/catalog.json; empty means DATA_DIR/site" },
  { name: 'DOCTOR_ALLOW', type: 'string', default: '',
    doc: 'comma-separated ids of doctor blockers production may start with anyway (each is logged at every start), e.g. store.embedded' },
  { name: 'BACKUP_MAX_AGE_HOURS', type: 'integer', default: '26',
    doc: 'the doctor warns when the last npm run backup is older than this' },
  { name: 'ALERT_COMMAND', type: 'string', default: '',
    doc: 'shell command that sends an alert, the message on its standard input (mail, a Telegram bot curl, any webhook); run by deploy/hotline-notify.sh when a unit fails' },
];
