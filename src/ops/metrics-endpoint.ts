import { createHash, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { AppConfig } from '../config/config';
import { errorFields } from '../logging/error-cause';
import { Logger } from '../logging/logger';
import { HotlineMetrics } from './metrics';

/**
 * GET /metrics on a listener of its own (METRICS_HOST:METRICS_PORT, 127.0.0.1 by default), never
 * on the public port: a proxy that forwards PORT to the internet cannot expose it, and nothing
 * else is served here. With METRICS_TOKEN set, only a request bearing it is answered.
 */
export class MetricsEndpoint {
  private readonly server: http.Server;
  private readonly tokenDigest: Buffer | null;

  constructor(private readonly metrics: HotlineMetrics, private readonly o: { host: string; port: number; token: string; logger: Logger }) {
    this.tokenDigest = o.token ? digest(o.token) : null;
    this.server = http.createServer((req, res) => void this.answer(req, res));
    // A scraper asks every few seconds; anything slower or more numerous is not one.
    this.server.requestTimeout = 10_000;
    this.server.headersTimeout = 5_000;
    this.server.maxConnections = 20;
  }

  /** Binds the listener; rejects with the reason (EADDRINUSE, EADDRNOTAVAIL) when it cannot. */
  listen(): Promise<AddressInfo> {
    this.metrics.collectProcessMetrics();
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port, this.o.host, () => {
        this.server.off('error', reject);
        this.server.on('error', (err) => this.o.logger.error(errorFields(err), 'metrics listener failed'));
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found: this listener serves only GET /metrics.\n');
      return;
    }
    if (this.tokenDigest && !this.authorized(req.headers.authorization)) {
      res.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Bearer realm="hotline metrics"' })
        .end('Unauthorized: send the header "Authorization: Bearer <METRICS_TOKEN>".\n');
      return;
    }
    try {
      const text = await this.metrics.text();
      res.writeHead(200, { 'Content-Type': this.metrics.contentType, 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text);
    } catch (err) {
      this.o.logger.error(errorFields(err), 'metrics could not be gathered');
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end('The metrics could not be gathered: the server log says why.\n');
    }
  }

  /** Compared as digests of equal length, in constant time: the answer's timing says nothing of the token. */
  private authorized(header: string | undefined): boolean {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    return Boolean(m) && timingSafeEqual(digest(m![1]), this.tokenDigest!);
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The metrics listener the settings ask for, or null when METRICS_PORT is 0 (the default: no listener at all). */
export function metricsEndpointFor(config: Pick<AppConfig, 'metrics'>, metrics: HotlineMetrics, logger: Logger): MetricsEndpoint | null {
  const { port, host, token } = config.metrics;
  return port ? new MetricsEndpoint(metrics, { port, host, token, logger }) : null;
}

/** The start-up log's word on where the metrics are and who can read them. */
export function metricsNote(config: Pick<AppConfig, 'metrics'>): string {
  const { port, host, token } = config.metrics;
  const where = `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  return `metrics served on ${where}${loopback ? ' (this machine only)' : ''}${token ? ', to requests bearing METRICS_TOKEN' : ''}`;
}
