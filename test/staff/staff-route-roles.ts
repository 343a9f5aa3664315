import { Router } from 'express';

/**
 * THE TABLE OF WHO MAY USE EACH STAFF ROUTE: the lowest role each route of the staff router
 * (src/staff/staff-router.ts and its page modules, paths relative to /staff) lets through.
 *   public:   no session needed (sign-in)
 *   viewer:   any signed-in staff member (viewer, reviewer, admin)
 *   reviewer: reviewer and admin
 *   admin:    admin only
 * test/staff/route-roles.test.ts checks every registered route against every role: a route
 * missing here fails it, and so does a lower role getting through or a higher one refused.
 * Adding a staff route? Add its line here, with the lowest role that should use it.
 */
export type LowestRole = 'public' | 'viewer' | 'reviewer' | 'admin';

export const STAFF_ROUTE_ROLES: Record<string, LowestRole> = {
  'GET /': 'public',
  'GET /sign-in': 'public',
  'POST /sign-in': 'public',
  'POST /language': 'viewer',
  'POST /sign-out': 'viewer',
  // One's own password (src/staff/password-pages.ts): everyone signed in.
  'GET /password': 'viewer',
  'POST /password': 'viewer',
  // Messages (src/staff/message-pages.ts)
  'GET /messages': 'viewer',
  'GET /messages/:id': 'viewer',
  'GET /messages/:id/audio': 'viewer',
  'POST /messages/bulk-state': 'reviewer',
  'POST /messages/next': 'reviewer',
  'POST /messages/:id/review': 'reviewer',
  // The answer call inside a message: the confirmation page, the confirmed call, a reviewer's recorded answer.
  'GET /messages/:id/answer-call': 'reviewer',
  'POST /messages/:id/answer-call': 'reviewer',
  'GET /messages/:id/answer-audio': 'reviewer',
  // Reports (src/staff/report-pages.ts)
  'GET /reports': 'viewer',
  'GET /reports/commune/:code': 'viewer',
  'GET /reports/commune/:code/scorecard': 'viewer',
  'GET /reports/download.csv': 'viewer',
  // Scorecard rounds and the interface meeting pack (src/staff/round-pages.ts): viewers read, reviewers and admins edit.
  'GET /rounds': 'viewer',
  'POST /rounds': 'reviewer',
  'GET /rounds/:id': 'viewer',
  'POST /rounds/:id/state': 'reviewer',
  'POST /rounds/:id/dates': 'reviewer',
  'POST /rounds/:id/results': 'reviewer',
  'GET /rounds/:id/meeting-pack': 'viewer',
  // JAAP register (src/staff/jaap-pages.ts): viewers read, reviewers and admins edit.
  'GET /jaap': 'viewer',
  'GET /jaap/results': 'viewer',
  'GET /jaap/results.xlsx': 'viewer',
  'GET /jaap/:id/letter': 'viewer',
  'POST /jaap': 'reviewer',
  'GET /jaap/:id': 'viewer',
  'POST /jaap/:id/items': 'reviewer',
  'POST /jaap/:id/items/:item/status': 'reviewer',
  'GET /jaap/:id/items/:item/photos/:n': 'viewer',
  'GET /jaap/:id/export.:format': 'viewer',
  // Importing the Digital Community Scorecard app's report into rounds (src/staff/round-import-pages.ts).
  'GET /rounds/import': 'reviewer',
  'POST /rounds/import': 'reviewer',
  // Service providers' PINs for the phone self-assessment (src/staff/provider-pin-pages.ts): admins only.
  'GET /provider-pins': 'admin',
  'POST /provider-pins': 'admin',
  // Outbound calls (src/staff/outbound-pages.ts): pausing or resuming all calling is the admin's.
  'GET /outbound': 'viewer',
  'POST /outbound/pause': 'admin',
  'POST /outbound/resume': 'admin',
  'POST /outbound/answer-recording': 'reviewer',
  'POST /outbound/purge': 'admin',
  'POST /outbound/block-number': 'admin',
  'POST /outbound/block': 'admin',
  'POST /outbound/unblock': 'admin',
  // Try the line (src/staff/try-the-line.ts)
  'GET /try-the-line': 'viewer',
  'POST /try-the-line/calls': 'viewer',
  'POST /try-the-line/calls/:sid': 'viewer',
  // Studio (src/staff/studio-pages.ts)
  'GET /studio': 'admin',
  'GET /studio/:language': 'admin',
  'GET /studio/:language/next': 'admin',
  'GET /studio/:language/prompt/:promptId': 'admin',
  'POST /studio/:language/:promptId/recording': 'admin',
  'POST /studio/:language/:promptId/undo': 'admin',
  // Audit log, accounts (src/staff/audit-pages.ts, account-pages.ts)
  'GET /audit': 'admin',
  'GET /accounts': 'admin',
  'POST /accounts': 'admin',
  'GET /accounts/:username/disable': 'admin',
  'GET /accounts/:username/reset-password': 'admin',
  'POST /accounts/:username/password': 'admin',
  'POST /accounts/:username/role': 'admin',
  'POST /accounts/:username/unlock': 'admin',
  'POST /accounts/:username/disabled': 'admin',
  // Find a message by reference, places (src/staff/find-pages.ts, place-pages.ts)
  'GET /find': 'viewer',
  'GET /places': 'viewer',
  'GET /places-to-confirm': 'reviewer',
  'GET /places-to-confirm/:id/audio': 'reviewer',
  'POST /places-to-confirm/:id/confirm': 'reviewer',
};

/** A layer of Express 5's router (router 2.x): a route, or middleware such as a nested router. */
interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: string | RegExp | (string | RegExp)[];
}

/**
 * Every route registered on `router` and the routers mounted in it, as "METHOD /path" (HEAD
 * left out: Express answers it with the GET route). Mount paths are joined in front.
 */
export function registeredRoutes(router: Router): string[] {
  const routes: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const p of paths) {
          for (const [method, on] of Object.entries(layer.route.methods)) {
            if (on && method !== '_all' && method !== 'head') routes.push(`${method.toUpperCase()} ${join(prefix, String(p))}`);
            if (on && method === '_all') routes.push(`ALL ${join(prefix, String(p))}`);
          }
        }
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        if (layer.rawPath !== undefined && typeof layer.rawPath !== 'string') throw new Error(`a router mounted on a pattern (${String(layer.rawPath)}): registeredRoutes cannot name its routes`);
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((router as unknown as { stack: Layer[] }).stack, '');
  return routes;
}

function join(prefix: string, p: string): string {
  const joined = `${prefix}${p}`.replace(/\/+$/, '');
  return joined || '/';
}
