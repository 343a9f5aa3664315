import { RequestHandler } from 'express';

/**
 * Headers on every /staff response. The CSP allows scripts, styles, media and fetches from this
 * origin only and no inline code at all (every script is a file under /staff/static), so an
 * injected note or commune name cannot run. no-store keeps pages and recordings out of shared
 * and browser caches on a shared office computer.
 */
export const STAFF_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "media-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/**
 * `cacheControl` is no-store unless given: the public results pages (src/public/) use the same
 * headers but let browsers and proxies keep a page a few minutes.
 */
export function staffSecurityHeaders(opts: { https: boolean; cacheControl?: string }): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('Content-Security-Policy', STAFF_CSP);
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
    res.setHeader('Cache-Control', opts.cacheControl ?? 'no-store');
    if (opts.https) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
    next();
  };
}
