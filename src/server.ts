import './heap-growth'; // first: a V8 setting, before anything is allocated
import { createApp } from './app';
import { chooseFfmpeg, describeFfmpeg } from './audio/ffmpeg';
import { createHttpServer } from './http-server';
import { listenNote, loadConfig, startupWarnings } from './config/config';
import { AppError } from './errors';
import { createLogger } from './logging/logger';
import { recordingDownloadWorkerFor } from './messages/recording-download-worker';
import { callbackWorkerFor } from './outbound/outbound';
import { loadDoctorDefinitions } from './doctor/definitions';
import { runDoctor, unallowedBlockers } from './doctor/doctor';
import { errorFields } from './logging/error-cause';
import { metricsEndpointFor, metricsNote } from './ops/metrics-endpoint';
import { buildRuntime } from './runtime';
import { AuditRetention } from './staff/audit-retention';
import { publicResultsScheduleFor } from './public/snapshot-schedule';
import { claimEmbeddedStore } from './store/embedded-owner';
import { warmUpLine } from './telephony/warm-up';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nThe hotline did not start. Fix the setting(s) above in .env or the environment; .env.example documents each one.\n`);
    process.exit(78);
  }
  const logger = createLogger(config.logLevel);
  for (const warning of startupWarnings(config)) logger.warn(warning);
  // Which ffmpeg converts prompts and decodes recordings: the system's is preferred over the bundled 2018 build.
  try {
    const ffmpeg = describeFfmpeg(chooseFfmpeg());
    logger[ffmpeg.level](ffmpeg.message);
  } catch (err) {
    logger.warn(`${(err as Error).message}; MP3 voice messages cannot be checked until ffmpeg is installed`);
  }
  let rt;
  let releaseStore = () => {};
  try {
    // The embedded store is this process's alone: refuse to start beside another hotline on it.
    if (!config.mongodbUri) releaseStore = claimEmbeddedStore(config.dataDir);
    rt = await buildRuntime(config, { logger });
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'the hotline did not start');
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(err instanceof AppError && err.code !== 'STORE_UNAVAILABLE' ? 78 : 1);
  }
  // Production refuses to start on a readiness blocker (npm run doctor); DOCTOR_ALLOW lets a named one through, logged at every start.
  if (config.nodeEnv === 'production') {
    const items = await runDoctor(config, loadDoctorDefinitions(config));
    const refused = unallowedBlockers(items);
    for (const item of items.filter((i) => i.allowed)) logger.warn({ doctor: item.id, fix: item.fix }, `DOCTOR_ALLOW: starting despite a blocker: ${item.message}`);
    if (refused.length) {
      const list = refused.map((i) => `  - ${i.id}: ${i.message}
    fix: ${i.fix}`).join('\n');
      logger.fatal({ blockers: refused.map((i) => i.id) }, 'the hotline did not start: readiness blockers (npm run doctor)');
      process.stderr.write(`The hotline did not start: ${refused.length} blocker(s) for a production line:\n${list}\n`
        + 'Fix each one (npm run doctor shows every item), or name it in DOCTOR_ALLOW to start anyway.\n');
      await rt.close();
      releaseStore();
      process.exit(78);
    }
  }
  const app = createApp(rt);
  // One test call before listening, so callers ringing right after a start do not wait on code run the first time.
  await warmUpLine(app, { publicBaseUrl: config.publicBaseUrl, authToken: config.twilioAuthToken, accountSid: config.twilioAccountSid, logger });
  // Fetches voice messages from the carrier; the queue is in the database, so a restart loses nothing.
  const downloads = recordingDownloadWorkerFor(rt);
  downloads.start();
  // Places the callbacks the queue owes; the queue and its limits are in the database too.
  const callbacks = callbackWorkerFor(rt);
  if (config.outbound.fromNumber && config.twilioAccountSid) callbacks.start();
  else logger.warn('OUTBOUND_FROM_NUMBER or TWILIO_ACCOUNT_SID is not set: missed calls (POST /voice/missed) are answered busy and queued, but nobody is called back until both are set');
  const auditRetention = new AuditRetention(rt.store, config.auditRetentionDays, logger);
  auditRetention.start();
  // The published results, built once a day by one instance, in the report process (src/public/snapshot-schedule.ts).
  const publicBuilds = publicResultsScheduleFor(rt);
  publicBuilds.start();
  // Timeouts and a connection cap fit for a carrier's 15 s (src/http-server.ts).
  const trustFn = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  let cappedLoggedAt = 0;
  const server = createHttpServer({
    maxConnections: config.httpMaxConnections,
    maxConnectionsPerClient: config.httpMaxConnectionsPerClient,
    isTrustedProxy: (address) => trustFn(address, 0),
    onClientCapped: (client) => {
      // At most one line a minute: a client that keeps trying must not flood the log.
      if (Date.now() - cappedLoggedAt < 60_000) return;
      cappedLoggedAt = Date.now();
      logger.warn({ client, limit: config.httpMaxConnectionsPerClient }, 'a client is over HTTP_MAX_CONNECTIONS_PER_CLIENT: its extra connections are closed (more of this is not logged for a minute)');
    },
  });
  server.on('request', app);
  server.listen(config.port, config.host, () => {
    logger.info({ host: config.host, port: config.port, store: rt.store.engine, publicBaseUrl: config.publicBaseUrl }, 'hotline listening; carrier voice URL is PUBLIC_BASE_URL/voice/incoming, status callback PUBLIC_BASE_URL/voice/status');
    logger.info(listenNote(config));
  });
  // Prometheus's /metrics on a listener of its own, only when METRICS_PORT is set (src/ops/metrics-endpoint.ts).
  const metricsEndpoint = metricsEndpointFor(config, rt.metrics, logger);
  metricsEndpoint?.listen().then(
    () => logger.info({ metricsHost: config.metrics.host, metricsPort: config.metrics.port }, metricsNote(config)),
    // Calls matter more than figures: the line goes on without them.
    (err: unknown) => logger.error(errorFields(err), `the metrics listener could not start on ${config.metrics.host}:${config.metrics.port}: check METRICS_PORT and METRICS_HOST (a port in use, an address this machine does not have); calls are answered as usual`),
  );
  const stop = () => {
    logger.info('shutting down');
    auditRetention.stop();
    void publicBuilds.stop();
    void metricsEndpoint?.close();
    server.close(() => void Promise.all([downloads.stop(), callbacks.stop()]).then(() => rt.close()).finally(() => {
      releaseStore();
      process.exit(0);
    }));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
