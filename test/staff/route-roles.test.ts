import { StaffRole } from '../../src/auth/roles';
import { SESSION_COOKIE } from '../../src/auth/staff-auth';
import { SessionsRepository } from '../../src/auth/sessions';
import { translator } from '../../src/staff/i18n/i18n';
import { staffRouter } from '../../src/staff/staff-router';
import { ENGINE } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount } from './staff-support';
import { LowestRole, registeredRoutes, STAFF_ROUTE_ROLES } from './staff-route-roles';

/**
 * Every staff route against every role, the routes read from the staff router itself (not
 * listed by hand), the roles from one declared table (staff-route-roles.ts). A role below the
 * route's lowest gets 403, one at or above it is never refused for its role, and without a
 * session only the public routes answer.
 */
const RANK: Record<LowestRole, number> = { public: 0, viewer: 1, reviewer: 2, admin: 3 };
const ROLES: StaffRole[] = ['viewer', 'reviewer', 'admin'];
const TABLE_FILE = 'test/staff/staff-route-roles.ts';
/** What requireRole's refusal says: a 403 for another reason (a sign-in form's CSRF check) is not a role refusal. */
const ROLE_REFUSAL = translator('en')('error.role');

describe(`every staff route against every role (${ENGINE} store)`, () => {
  let h: TestHotline;
  let routes: string[];
  beforeAll(async () => {
    h = await startHotline();
    for (const role of ROLES) await addAccount(h.store, `${role}1`, role);
    routes = registeredRoutes(staffRouter(h.rt));
  });
  afterAll(() => h.stop());

  it('reads the routes from the router (sign-in, the pages, pausing outbound calling and making accounts among them)', () => {
    expect(routes).toEqual(expect.arrayContaining([
      'GET /sign-in', 'GET /messages', 'POST /outbound/pause', 'POST /outbound/resume', 'POST /accounts/:username/role',
      'POST /accounts', 'POST /accounts/:username/password', 'GET /password', 'POST /password',
    ]));
  });

  it('has a declared lowest role for every route, and no declaration for a route that is gone', () => {
    const undeclared = routes.filter((r) => !(r in STAFF_ROUTE_ROLES));
    const gone = Object.keys(STAFF_ROUTE_ROLES).filter((r) => !routes.includes(r));
    const problems = [
      ...undeclared.map((r) => `"${r}" has no declared role: add the line  '${r}': 'admin',  to STAFF_ROUTE_ROLES in ${TABLE_FILE}, with the lowest role that may use it (public, viewer, reviewer or admin)`),
      ...gone.map((r) => `"${r}" is declared in ${TABLE_FILE} but the staff router has no such route: remove or rename its line`),
    ];
    expect(problems).toEqual([]);
  });

  /** A request to `route` (":param" filled with a name that exists nowhere) as `role`, or with no session. */
  async function ask(route: string, role: StaffRole | null): Promise<{ status: number; location: string; text: string }> {
    const [method, pattern] = route.split(' ');
    const path = `/staff${pattern === '/' ? '' : pattern}`.replace(/:[A-Za-z]+/g, 'no-such-thing');
    const headers: Record<string, string> = { accept: 'text/html' };
    let csrf = '';
    if (role) {
      // A fresh session per request: a route such as sign-out ends the one it is given.
      const { token, session } = await new SessionsRepository(h.store, h.config.sessionSecret).create(`${role}1`, role);
      headers.cookie = `${SESSION_COOKIE}=${token}`;
      csrf = session.csrfToken;
    }
    const init: RequestInit = { method, headers, redirect: 'manual' };
    if (method !== 'GET') {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      init.body = new URLSearchParams({ _csrf: csrf }).toString();
    }
    const res = await fetch(h.url + path, init);
    return { status: res.status, location: res.headers.get('location') ?? '', text: await res.text() };
  }

  const refusedForRole = (res: { status: number; text: string }) => res.status === 403 && res.text.includes(ROLE_REFUSAL);
  /** 401, or a page sent to sign in first (signing out also ends on the sign-in page, without `next`). */
  const signInAsked = (res: { status: number; location: string }) => res.status === 401 || (res.status === 303 && res.location.startsWith('/staff/sign-in?next='));

  it.each(ROLES)('as %s: refused (403) on every route above the role, and never refused for its role elsewhere', async (role) => {
    const wrong: string[] = [];
    for (const route of routes) {
      const lowest = STAFF_ROUTE_ROLES[route];
      if (lowest === undefined) {
        wrong.push(`"${route}": no declared role in ${TABLE_FILE} (see the test above)`);
        continue;
      }
      const res = await ask(route, role);
      if (RANK[role] < RANK[lowest]) {
        if (!refusedForRole(res)) wrong.push(`"${route}" is for ${lowest} and up, but a ${role} got ${res.status} instead of 403 "${ROLE_REFUSAL}"`);
      } else if (refusedForRole(res) || signInAsked(res)) {
        wrong.push(`"${route}" is declared for ${lowest} and up, but a ${role} got ${res.status}: fix the route's requireRole, or its line in ${TABLE_FILE}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 300_000); // the first report page starts the report process: slow on a busy shared machine

  it('without a session: sent to sign in (or 401) on every route but the public ones', async () => {
    const wrong: string[] = [];
    for (const route of routes) {
      const res = await ask(route, null);
      const isPublic = STAFF_ROUTE_ROLES[route] === 'public';
      if (!isPublic && !signInAsked(res)) wrong.push(`"${route}" answered ${res.status} without a session`);
      if (isPublic && signInAsked(res)) wrong.push(`"${route}" is public, but asked for a session`);
    }
    expect(wrong).toEqual([]);
  }, 300_000); // the first report page starts the report process: slow on a busy shared machine
});
