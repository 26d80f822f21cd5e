/**
 * Who may use the dashboard: whoever holds its access token. The token is random per start (or
 * LONGHAUL_DASHBOARD_TOKEN) and printed in the URL to open; opening it swaps the token for an HttpOnly,
 * SameSite=Strict cookie and drops it from the address bar. Every request needs the cookie (or an
 * `Authorization: Bearer` header, for scripts); a state-changing request must also be a POST with the page's
 * anti-forgery header and the dashboard's own Origin, so another site cannot drive it through the browser.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { ConfigError } from '../../common/temporal-config';

/** The header a page's state-changing request carries (read from the page; other origins cannot read it). */
export const CSRF_HEADER = 'X-Longhaul-CSRF';

/** The shape of LONGHAUL_DASHBOARD_TOKEN: URL-safe (it goes into the printed URL) and long enough to guess at. */
const TOKEN_SHAPE = /^[A-Za-z0-9._~-]{24,256}$/;

/** The access token: LONGHAUL_DASHBOARD_TOKEN when set (checked), else 32 random bytes. */
export function accessToken(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.LONGHAUL_DASHBOARD_TOKEN;
  if (given === undefined || given === '') return randomBytes(32).toString('base64url');
  if (!TOKEN_SHAPE.test(given)) {
    throw new ConfigError(
      'LONGHAUL_DASHBOARD_TOKEN must be at least 24 characters of letters, digits and . _ ~ - (e.g. `openssl rand -hex 24`), or unset for a random token per start',
    );
  }
  return given;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface AccessOptions {
  readonly token: string;
  /** The port the dashboard listens on: the cookie is named after it (cookies do not tell ports apart). */
  readonly port: number;
  /** Host names the dashboard answers to (the Host header), besides 127.0.0.1, localhost and [::1]. */
  readonly hosts?: readonly string[];
}

export interface Access {
  /** The middleware that lets only token holders in. */
  readonly middleware: MiddlewareHandler;
  /** The anti-forgery value the pages send back in CSRF_HEADER. */
  readonly csrf: string;
  readonly cookieName: string;
}

export function createAccess(o: AccessOptions): Access {
  const cookieName = `longhaul_dashboard_${o.port}`;
  const csrf = createHmac('sha256', o.token).update('longhaul-dashboard-csrf').digest('base64url');
  const hosts = new Set(['127.0.0.1', 'localhost', '[::1]', ...(o.hosts ?? [])].map((h) => `${h}:${o.port}`));
  const origins = new Set([...hosts].map((h) => `http://${h}`));

  const middleware: MiddlewareHandler = async (c, next) => {
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('X-Frame-Options', 'DENY');
    // Another name pointing at this address (DNS rebinding) is not this dashboard.
    if (!hosts.has(c.req.header('host') ?? '')) return c.text('unknown host: open the URL the dashboard printed', 421);

    const query = c.req.query('token');
    if (query !== undefined && c.req.method === 'GET') {
      if (!same(query, o.token)) return unauthorized(c);
      setCookie(c, cookieName, o.token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      const url = new URL(c.req.url);
      url.searchParams.delete('token');
      return c.redirect(`${url.pathname}${url.search}`, 303);
    }
    const bearer = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    const cookie = getCookie(c, cookieName);
    const byBearer = bearer !== undefined && same(bearer, o.token);
    if (!byBearer && !(cookie !== undefined && same(cookie, o.token))) return unauthorized(c);

    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      if (c.req.method !== 'POST') return c.json({ error: 'only GET and POST are served' }, 405);
      // A cookie comes with any request the browser makes; the header and the Origin only with the page's own.
      if (!byBearer) {
        const origin = c.req.header('origin');
        if (origin === undefined || !origins.has(origin)) {
          return c.json({ error: `refused: the request comes from another origin (${origin ?? 'none given'})` }, 403);
        }
        if (!same(c.req.header(CSRF_HEADER) ?? '', csrf)) {
          return c.json({ error: `refused: the ${CSRF_HEADER} header is missing or wrong; reload the page` }, 403);
        }
      }
    }
    await next();
  };
  return { middleware, csrf, cookieName };
}

function unauthorized(c: Parameters<MiddlewareHandler>[0]): Response {
  const message =
    'the dashboard needs its access token: open the URL `longhaul dashboard` printed (…/?token=…), or send Authorization: Bearer <token>';
  const wantsHtml = (c.req.header('accept') ?? '').includes('text/html');
  c.header('WWW-Authenticate', 'Bearer realm="longhaul-dashboard"');
  return wantsHtml
    ? c.html(`<!doctype html><title>Longhaul dashboard</title><p>${message}</p>`, 401)
    : c.json({ error: message }, 401);
}
