import * as http from 'node:http';

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

/** Applies the timeouts and the connection cap (HTTP_MAX_CONNECTIONS) to a server. */
export function hardenHttpServer(server: http.Server, opts: { maxConnections: number }): http.Server {
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Connections beyond the cap are closed at once by Node instead of being served.
  server.maxConnections = opts.maxConnections;
  return server;
}

/** A server with the timeouts from the start (connectionsCheckingInterval can only be set here). */
export function createHttpServer(opts: { maxConnections: number }): http.Server {
  return hardenHttpServer(http.createServer({ connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS }), opts);
}
