import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { StoreError } from '../../src/errors';
import { createLogger } from '../../src/logging/logger';
import { recordingDownloadWorkerFor } from '../../src/messages/recording-download-worker';
import { MetricsEndpoint, metricsEndpointFor } from '../../src/ops/metrics-endpoint';
import { HotlineMetrics } from '../../src/ops/metrics';
import { TwilioCarrierCalls } from '../../src/outbound/carrier-calls';
import { callbackWorkerFor } from '../../src/outbound/outbound';
import { parseScript } from '../../src/simulator/call-simulator';
import { ReportRunner } from '../../src/staff/report-runner';
import { TEST_CALL_SID_PREFIX } from '../../src/store/ratings';
import { ENGINE, tempDir } from '../support/engine';
import { FakeCarrier, wavOf } from '../support/fake-carrier';
import { FakeCarrierCalls } from '../support/fake-carrier-calls';
import { ids, simulatorFor, startHotline, startHotlinePair, TEST_AUTH_TOKEN, TestHotline } from '../support/hotline';
import { whileServerListens } from '../support/server-start';
import { freePort } from '../support/free-port';

jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '../..');
const TOKEN = 'metrics-token-0123456789abcdef';
const FROM = '+85512345678';

/** One sample line of the Prometheus text format: name, labels, value. */
interface Sample { name: string; labels: Record<string, string>; value: number }

/**
 * Parses the Prometheus text exposition format (version 0.0.4) strictly enough to catch what a
 * scraper refuses: every line a comment (# HELP, # TYPE), a sample, or blank; names and labels
 * as the format allows; each sample under a # TYPE for its family; no family declared twice.
 */
function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
  // Values as Prometheus reads them (Go's strconv.ParseFloat, which ignores the case of NaN and Inf:
  // prom-client writes an event-loop figure with no samples yet as "Nan").
  const sampleLine = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (-?[0-9.eE+-]+|(?:nan|[+-]?inf))(?: -?[0-9]+)?$`, 'i');
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
    if (type) {
      if (types.has(type[1])) throw new Error(`family declared twice: ${type[1]}`);
      types.set(type[1], type[2]);
      continue;
    }
    if (new RegExp(`^# HELP ${NAME} `).test(line)) continue;
    const m = sampleLine.exec(line);
    if (!m) throw new Error(`not a line of the Prometheus text format: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v.replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
    const family = types.has(m[1]) ? m[1] : m[1].replace(/_(bucket|sum|count)$/, '');
    if (!types.has(family)) throw new Error(`sample before its # TYPE: ${m[1]}`);
    const value = /^nan$/i.test(m[3]) ? NaN : /inf$/i.test(m[3]) ? (m[3].startsWith('-') ? -Infinity : Infinity) : Number(m[3]);
    if (Number.isNaN(value) && !/^nan$/i.test(m[3])) throw new Error(`not a number: ${JSON.stringify(line)}`);
    samples.push({ name: m[1], labels, value });
  }
  return { samples, types };
}

/** The value of the one sample with this name and these labels (0 when absent, as Prometheus reads a missing counter). */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found.reduce((sum, s) => sum + s.value, 0);
}

async function scrape(url: string, token?: string): Promise<Sample[]> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text()).samples;
}

const silent = createLogger('silent');
const settings = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', DATA_DIR: tempDir(), ...env }, { cwd: ROOT });

/** Waits for a count that is written after the carrier's request was answered (the call-end line). */
async function eventually(read: () => Promise<number>, expected: number): Promise<number> {
  let value = await read();
  for (let i = 0; i < 100 && value !== expected; i += 1) {
    await new Promise((r) => setTimeout(r, 20));
    value = await read();
  }
  return value;
}

describe('metrics settings', () => {
  it('are off by default: no listener is made, whatever else is set', () => {
    const config = settings({});
    expect(config.metrics).toEqual({ port: 0, host: '127.0.0.1', token: '' });
    expect(metricsEndpointFor(config, new HotlineMetrics(), silent)).toBeNull();
    expect(metricsEndpointFor(settings({ METRICS_HOST: '0.0.0.0', METRICS_TOKEN: TOKEN }), new HotlineMetrics(), silent)).toBeNull();
    expect(metricsEndpointFor(settings({ METRICS_PORT: '9464' }), new HotlineMetrics(), silent)).toBeInstanceOf(MetricsEndpoint);
  });

  it('refuse the public port, another interface without a token, and a short token, each named', () => {
    const refusal = (env: Record<string, string>) => {
      try {
        settings(env);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('the settings were accepted');
    };
    expect(refusal({ PORT: '3000', METRICS_PORT: '3000' })).toMatch(/METRICS_PORT=3000 is the public PORT: give the metrics listener a port of its own/);
    expect(refusal({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' })).toMatch(/METRICS_HOST=0\.0\.0\.0 lets other machines read \/metrics: set METRICS_TOKEN/);
    expect(refusal({ METRICS_PORT: '9464', METRICS_TOKEN: 'short' })).toMatch(/METRICS_TOKEN is shorter than 16 characters/);
    expect(refusal({ METRICS_PORT: '70000' })).toMatch(/METRICS_PORT=70000 must be between 1 and 65535/);
    expect(settings({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0', METRICS_TOKEN: TOKEN }).metrics).toEqual({ port: 9464, host: '0.0.0.0', token: TOKEN });
  });
});

describe(`the metrics listener (${ENGINE} store)`, () => {
  let h: TestHotline;
  let endpoint: MetricsEndpoint | null = null;
  afterEach(async () => {
    await endpoint?.close();
    endpoint = null;
    await h?.stop();
  });

  /** The hotline with METRICS_PORT set, its listener started as src/server.ts starts it. */
  async function withMetrics(env: Record<string, string> = {}): Promise<string> {
    h = await startHotline({ METRICS_PORT: String(await freePort()), ...env });
    endpoint = metricsEndpointFor(h.config, h.rt.metrics, h.rt.logger);
    const address = await endpoint!.listen();
    expect(address.address).toBe('127.0.0.1');
    return `http://127.0.0.1:${address.port}/metrics`;
  }

  it('is not on the public port: /metrics there answers 404, with metrics off and on', async () => {
    h = await startHotline();
    expect((await fetch(`${h.url}/metrics`)).status).toBe(404);
    await h.stop();
    await withMetrics();
    expect((await fetch(`${h.url}/metrics`)).status).toBe(404);
  });

  it('listens on loopback; a signed call moves the call and turn counters and the latency histogram', async () => {
    const url = await withMetrics();
    const before = await scrape(url);
    expect(valueOf(before, 'hotline_calls_started_total', { direction: 'incoming' })).toBe(0);
    expect(valueOf(before, 'hotline_turn_duration_seconds_count')).toBe(0);

    const sim = h.simulator({ from: FROM });
    const t = await sim.run(parseScript('1,hangup')); // the language menu, one key, then the final status
    expect(t.errors).toEqual([]);
    const endedEarly = async () => valueOf(await scrape(url), 'hotline_calls_ended_total', { outcome: 'hung up early' });
    expect(await eventually(endedEarly, 1)).toBe(1);

    const after = await scrape(url);
    expect(valueOf(after, 'hotline_calls_started_total', { direction: 'incoming' })).toBe(1);
    expect(valueOf(after, 'hotline_turn_duration_seconds_count', { webhook: 'incoming', result: 'answered' })).toBe(1);
    expect(valueOf(after, 'hotline_turn_duration_seconds_count', { webhook: 'turn', result: 'answered' })).toBe(1);
    expect(valueOf(after, 'hotline_turn_duration_seconds_sum')).toBeGreaterThan(0);
    // Every turn is in the +Inf bucket, and the buckets only grow.
    const buckets = after.filter((s) => s.name === 'hotline_turn_duration_seconds_bucket' && s.labels.webhook === 'turn' && s.labels.result === 'answered');
    expect(buckets.at(-1)).toMatchObject({ labels: expect.objectContaining({ le: '+Inf' }), value: 1 });
    expect(buckets.map((b) => b.value)).toEqual([...buckets.map((b) => b.value)].sort((a, b) => a - b));
    expect(valueOf(after, 'hotline_errors_total')).toBe(0);
    // Nobody's number, hash or call in any label.
    const text = await (await fetch(url)).text();
    expect(text).not.toContain('12345678');
    expect(text).not.toContain(sim.callSid);
    expect(text).not.toContain((await h.rt.calls.find(sim.callSid))!.callerId);
  });

  it('does not count test calls (the start-up warm-up, staff "try the line")', async () => {
    const url = await withMetrics();
    const test = h.simulator({ from: FROM, callSid: `${TEST_CALL_SID_PREFIX}0123456789abcdef0123` });
    await test.run(parseScript('1,hangup'));
    for (let i = 0; i < 100 && !h.logs.some((l) => l.includes(test.callSid) && l.includes('call ended')); i += 1) await new Promise((r) => setTimeout(r, 20));
    const samples = await scrape(url);
    expect(valueOf(samples, 'hotline_calls_started_total')).toBe(0);
    expect(valueOf(samples, 'hotline_calls_ended_total')).toBe(0);
    expect(valueOf(samples, 'hotline_turn_duration_seconds_count')).toBe(0);
  });

  it('counts errors by kind: a refused signature, and a turn the database failed (the caller hears error.system)', async () => {
    const url = await withMetrics();
    const unsigned = await fetch(`${h.url}/voice/incoming`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'CallSid=CA0123&From=%2B85512345678' });
    expect(unsigned.status).toBe(403);

    const resume = jest.spyOn(h.rt.turns, 'resume').mockRejectedValueOnce(new StoreError('the database did not answer (ECONNREFUSED)'));
    try {
      expect(ids(await h.call(parseScript('1,hangup')))).toContain('error.system');
    } finally {
      resume.mockRestore();
    }
    const samples = await scrape(url);
    expect(valueOf(samples, 'hotline_errors_total', { kind: 'signature_refused' })).toBe(1);
    expect(valueOf(samples, 'hotline_errors_total', { kind: 'error_system_answered' })).toBe(1);
    expect(valueOf(samples, 'hotline_errors_total', { kind: 'store_failed' })).toBe(1);
    expect(valueOf(samples, 'hotline_errors_total', { kind: 'request_failed' })).toBe(0);
    expect(valueOf(samples, 'hotline_turn_duration_seconds_count', { webhook: 'turn', result: 'error_system' })).toBe(1);
  });

  it('answers only GET /metrics, and with METRICS_TOKEN only a request bearing it', async () => {
    const url = await withMetrics({ METRICS_TOKEN: TOKEN });
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer metrics-token-0123456789abcdeX' } })).status).toBe(401);
    expect((await fetch(url.replace('/metrics', '/health'), { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    const samples = await scrape(url, TOKEN);
    // prom-client's process figures come along.
    expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
  });

  it('counts recordings downloaded by outcome: one stored, one failed for good', async () => {
    const carrier = await new FakeCarrier('ACtest', TEST_AUTH_TOKEN).start();
    try {
      const url = await withMetrics({ CARRIER_API_URL: carrier.url, RECORDING_DOWNLOAD_MAX_ATTEMPTS: '1' });
      const queued = (sid: string) => ({
        _id: sid, callerChoice: 'sent', createdAt: new Date(), download: { state: 'queued', recordingUrl: carrier.recordingUrl(sid), attempts: 0, nextAttemptAt: new Date(0) },
      });
      carrier.addRecording('RE0000000000000000000000000000000a', wavOf(8));
      await h.store.collection('messages').insertMany([queued('RE0000000000000000000000000000000a'), queued('RE0000000000000000000000000000000b')] as never);
      const outcomes = (await recordingDownloadWorkerFor(h.rt).drain()).map((r) => r.outcome).sort();
      expect(outcomes).toEqual(['failed', 'stored']);
      const samples = await scrape(url);
      expect(valueOf(samples, 'hotline_recording_downloads_total', { outcome: 'stored' })).toBe(1);
      expect(valueOf(samples, 'hotline_recording_downloads_total', { outcome: 'failed' })).toBe(1);
      expect(valueOf(samples, 'hotline_recording_downloads_total')).toBe(2);
    } finally {
      await carrier.stop();
    }
  });

  it('counts callbacks by the result of placing them', async () => {
    const carrier = await new FakeCarrierCalls('ACtest', TEST_AUTH_TOKEN, 'twilio').start();
    try {
      const url = await withMetrics({ CARRIER_API_URL: carrier.url, OUTBOUND_CALLING_HOURS: '00:00-24:00', OUTBOUND_FROM_NUMBER: '+85523900900' });
      expect(await h.rt.outbound.missedCall(FROM, 'CAmissed000000000000000000000001')).toBe('queued');
      const worker = callbackWorkerFor(h.rt, { carrier: new TwilioCarrierCalls({ carrierApiUrl: carrier.url, accountSid: 'ACtest', authToken: TEST_AUTH_TOKEN, timeoutMs: 15_000 }) });
      expect(await worker.placeNext()).toBe('placed');
      const samples = await scrape(url);
      expect(valueOf(samples, 'hotline_callback_calls_total', { result: 'placed' })).toBe(1);
      expect(valueOf(samples, 'hotline_callback_calls_total')).toBe(1);
    } finally {
      await carrier.stop();
    }
  });

  it('times staff reports by kind and result', async () => {
    const url = await withMetrics();
    let fail = false;
    const runner = new ReportRunner(h.rt, async () => {
      await new Promise((r) => setTimeout(r, 20));
      if (fail) throw new StoreError('the report process stopped');
      return {};
    });
    const request = { period: { from: '2030-01-01', to: '2030-01-31' }, area: { level: 'country' } } as never;
    await runner.report(request);
    fail = true;
    await expect(runner.report({ ...(request as object), table: true } as never)).rejects.toThrow(StoreError);
    const samples = await scrape(url);
    expect(valueOf(samples, 'hotline_report_duration_seconds_count', { kind: 'report', result: 'ok' })).toBe(1);
    expect(valueOf(samples, 'hotline_report_duration_seconds_count', { kind: 'report', result: 'failed' })).toBe(1);
    expect(valueOf(samples, 'hotline_report_duration_seconds_sum', { kind: 'report', result: 'ok' })).toBeGreaterThanOrEqual(0.015);
  });
});

describe(`queue depths with two app instances on one store (${ENGINE} store)`, () => {
  let pair: [TestHotline, TestHotline];
  const endpoints: MetricsEndpoint[] = [];
  afterEach(async () => {
    for (const e of endpoints.splice(0)) await e.close();
    for (const h of pair ?? []) await h.stop();
  });

  it('each instance shows the store\'s queue depths, and counts only the calls it served', async () => {
    pair = await startHotlinePair({ OUTBOUND_FROM_NUMBER: '+85523900900' });
    const urls: string[] = [];
    for (const h of pair) {
      const endpoint = new MetricsEndpoint(h.rt.metrics, { host: '127.0.0.1', port: 0, token: '', logger: h.rt.logger });
      endpoints.push(endpoint);
      urls.push(`http://127.0.0.1:${(await endpoint.listen()).port}/metrics`);
    }
    const [a, b] = pair;
    const hourAgo = new Date(Date.now() - 3600_000);
    await a.store.collection('messages').insertMany([
      { _id: 'RE1', callerChoice: 'sent', createdAt: hourAgo, download: { state: 'queued', recordingUrl: 'x', attempts: 1, nextAttemptAt: new Date() } },
      { _id: 'RE2', callerChoice: 'sent', createdAt: new Date(), download: { state: 'downloading', recordingUrl: 'x', attempts: 1, nextAttemptAt: new Date() } },
      { _id: 'RE3', callerChoice: 'sent', createdAt: hourAgo, download: { state: 'stored', recordingUrl: 'x', attempts: 1 } },
    ] as never);
    expect(await a.rt.outbound.missedCall(FROM, 'CAmissed000000000000000000000002')).toBe('queued');
    await a.rt.outbound.limits.setPaused(true, 'admin');

    await simulatorFor(a, 'CA00000000000000000000000000000001').run(parseScript('1,hangup'));
    const started = async (url: string) => valueOf(await scrape(url), 'hotline_calls_started_total');
    expect(await eventually(() => started(urls[0]), 1)).toBe(1);

    for (const url of urls) {
      const samples = await scrape(url);
      expect(valueOf(samples, 'hotline_queue_counts_readable')).toBe(1);
      expect(valueOf(samples, 'hotline_recordings_waiting')).toBe(2);
      expect(valueOf(samples, 'hotline_recording_oldest_wait_seconds')).toBeGreaterThanOrEqual(3590);
      expect(valueOf(samples, 'hotline_recording_oldest_wait_seconds')).toBeLessThan(3700);
      expect(valueOf(samples, 'hotline_callbacks_waiting')).toBe(1);
      expect(valueOf(samples, 'hotline_missed_call_callbacks_waiting')).toBe(1);
      expect(valueOf(samples, 'hotline_callbacks_under_way')).toBe(0);
      expect(valueOf(samples, 'hotline_outbound_paused')).toBe(1);
      expect(valueOf(samples, 'hotline_outbound_carrier_problem')).toBe(0);
      expect(valueOf(samples, 'hotline_queue_counts_age_seconds')).toBeLessThan(60);
    }
    // The call went to the first instance: only its counters moved.
    expect(await started(urls[1])).toBe(0);
    expect(b.rt.metrics).not.toBe(a.rt.metrics);
  });

  it('says the counts could not be read when the database does not answer, keeping the last ones', async () => {
    pair = await startHotlinePair();
    const [a] = pair;
    const endpoint = new MetricsEndpoint(a.rt.metrics, { host: '127.0.0.1', port: 0, token: '', logger: a.rt.logger });
    endpoints.push(endpoint);
    const url = `http://127.0.0.1:${(await endpoint.listen()).port}/metrics`;
    expect(valueOf(await scrape(url), 'hotline_queue_counts_readable')).toBe(1);
    const backlog = jest.spyOn(a.rt.health, 'backlog').mockResolvedValue(null);
    try {
      await new Promise((r) => setTimeout(r, 1100)); // past the one-scrape reuse of the counts
      const samples = await scrape(url);
      expect(valueOf(samples, 'hotline_queue_counts_readable')).toBe(0);
      expect(valueOf(samples, 'hotline_queue_counts_age_seconds')).toBeGreaterThanOrEqual(1);
      expect(valueOf(samples, 'hotline_recordings_waiting')).toBe(0);
    } finally {
      backlog.mockRestore();
    }
  });
});

describe('src/server.ts with METRICS_PORT set', () => {
  it('serves /metrics on loopback only, on its own port; the public port answers 404 there', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const { out, result, error } = await whileServerListens(
      { PORT: String(port), PUBLIC_BASE_URL: `http://localhost:${port}`, METRICS_PORT: String(metricsPort) },
      async (output) => {
        for (let i = 0; i < 200 && !output().includes('metrics served on'); i += 1) await new Promise((r) => setTimeout(r, 25));
        const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        const publicPort = await fetch(`http://127.0.0.1:${port}/metrics`);
        return { status: metrics.status, text: await metrics.text(), publicStatus: publicPort.status };
      },
    );
    expect(error).toBeUndefined();
    expect(out).toContain(`metrics served on http://127.0.0.1:${metricsPort}/metrics (this machine only)`);
    expect(result).toMatchObject({ status: 200, publicStatus: 404 });
    const { types } = parsePrometheus(result!.text);
    expect(types.get('hotline_calls_started_total')).toBe('counter');
    expect(types.get('process_resident_memory_bytes')).toBe('gauge');
  });
});

describe('the sample Grafana dashboard (deploy/grafana-hotline.json)', () => {
  it('is valid JSON and queries only metrics the hotline exposes', async () => {
    const dashboard = JSON.parse(fs.readFileSync(path.join(ROOT, 'deploy/grafana-hotline.json'), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const metrics = new HotlineMetrics(async () => null);
    metrics.collectProcessMetrics();
    const { samples, types } = parsePrometheus(await metrics.text());
    const exposed = new Set([...types.keys(), ...samples.map((s) => s.name)]);
    for (const [name, type] of types) if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exposed.add(name + suffix);

    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs.length).toBeGreaterThan(5);
    const queried = new Set(exprs.flatMap((e) => e.match(/\b(?:hotline|process|nodejs)_[a-z_]+\b/g) ?? []));
    expect([...queried].filter((name) => !exposed.has(name))).toEqual([]);
    // Every hotline family has a panel.
    const families = [...types.keys()].filter((n) => n.startsWith('hotline_'));
    expect(families.filter((f) => ![...queried].some((q) => q === f || q.startsWith(`${f}_`)))).toEqual([]);
  });
});
