import * as http from 'node:http';
import type { Socket } from 'node:net';

/**
 * Timeouts of the HTTP server, chosen around the carrier's limit: Twilio waits 15 s for a
 * webhook's answer, so a request still arriving after that serves no caller. Node's defaults
 * (60 s for headers, 300 s for a request, no connection cap) let a few slow clients hold
 * connections for minutes. The reverse proxy in front should have equal or shorter ones
 * (README: "What to put in front of the server").
 */
/** The whole request line and headers must arrive within this... */
export const HEADERS_TIMEOUT_MS = 10_000;
/** ...and the whole request, body included, within this (the carrier's 15 s). */
export const REQUEST_TIMEOUT_MS = 15_000;
/** An idle kept-alive connection is closed after this; a proxy's upstream keep-alive must be shorter. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** How often Node checks the two timeouts above (its default, 30 s, would let them run 30 s late). */
export const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export interface HttpServerLimits {
  /** HTTP_MAX_CONNECTIONS: all clients together. */
  maxConnections: number;
  /** HTTP_MAX_CONNECTIONS_PER_CLIENT: one client address (an IPv6 client by its /64); none when absent. */
  maxConnectionsPerClient?: number;
  /** The proxy TRUST_PROXY trusts carries every client's connections: it is not capped as one client. */
  isTrustedProxy?: (address: string) => boolean;
  /** Told of each connection closed for being over its client's cap. */
  onClientCapped?: (client: string) => void;
}

/**
 * The address a client is counted under: IPv4 (also IPv4-mapped IPv6) as is; IPv6 by its /64,
 * the smallest block one subscriber is usually given, so one host cannot spread over addresses.
 */
export function clientKey(address: string): string {
  const a = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1];
  if (!a.includes(':')) return a;
  const [head, tail = ''] = a.split('%')[0].split('::');
  const left = head ? head.split(':') : [];
  const right = a.includes('::') && tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * Caps each client's open connections. The count is this process's own sockets, which no other
 * instance could serve anyway, so it is kept in memory (unlike rate-limit counters).
 */
function capConnectionsPerClient(server: http.Server, limits: HttpServerLimits & { maxConnectionsPerClient: number }): void {
  const open = new Map<string, number>();
  // Before the HTTP server's own listener: an over-cap socket is closed before anything is parsed.
  server.prependListener('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    if (limits.isTrustedProxy?.(address)) return;
    const key = clientKey(address);
    const count = (open.get(key) ?? 0) + 1;
    if (count > limits.maxConnectionsPerClient) {
      socket.destroy();
      limits.onClientCapped?.(key);
      return;
    }
    open.set(key, count);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
  });
}

/** Applies the timeouts and the connection caps (HTTP_MAX_CONNECTIONS, HTTP_MAX_CONNECTIONS_PER_CLIENT) to a server. */
export function hardenHttpServer(server: http.Server, opts: HttpServerLimits): http.Server {
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Connections beyond the cap are closed at once by Node instead of being served.
  server.maxConnections = opts.maxConnections;
  // One client holding many slow connections must not use up the cap that the carrier's webhooks need.
  if (opts.maxConnectionsPerClient) capConnectionsPerClient(server, { ...opts, maxConnectionsPerClient: opts.maxConnectionsPerClient });
  return server;
}

/** A server with the timeouts from the start (connectionsCheckingInterval can only be set here). */
export function createHttpServer(opts: HttpServerLimits): http.Server {
  return hardenHttpServer(http.createServer({ connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS }), opts);
}
