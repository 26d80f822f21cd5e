/**
 * The dashboard's HTTP server (Hono on Node): static pages from client/dashboard/static (no build step), JSON
 * snapshots, WebSockets that push the home list and a watched goal as they change, and the goal controls.
 * WebSockets rather than Server-Sent Events: a browser keeps at most 6 HTTP/1.1 connections per host, so a seventh
 * tab following an event stream (and every control request) would hang; WebSockets do not count toward that. Every response goes through the access check (access.ts); every JSON body through the redactor, so no
 * secret of this process (or shaped like one) is served.
 */
import { serve, upgradeWebSocket, type WebSocketLike } from '@hono/node-server';
import type { Client } from '@temporalio/client';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { createRedactor } from '../../activities/security/redact';
import type { GoalStore } from '../../activities/store/types';
import { progressPaths, reportPaths } from '../../common/goal-files';
import { createAccess } from './access';
import { CONTROLS, runControl, type Control } from './controls';
import { GoalFeeds } from './goal-feed';
import { HomeFeed } from './home-feed';

export interface DashboardOptions {
  readonly client: Client;
  readonly store: GoalStore | null;
  /** LONGHAUL_HOME: where the progress documents are. */
  readonly home: string;
  readonly token: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 for any free port. @default 8234 */
  readonly port?: number;
  /** The Temporal Web UI for links to each goal's workflow; null: no link. */
  readonly temporalUi: { readonly url: string; readonly namespace: string } | null;
  /** How often visibility (home) and a watched goal's status query are asked. @default 1000 */
  readonly intervalMs?: number;
  /** Counters for tests and the benchmark. */
  readonly onVisibilityRequest?: () => void;
  readonly onStatusQuery?: (goalId: string) => void;
  /** Each per-goal lookup of the home page (a status query or an ended goal's result). */
  readonly onHomeLookup?: () => void;
}

export interface Dashboard {
  /** The URL to open, with the token: http://127.0.0.1:PORT/?token=… */
  readonly url: string;
  /** The URL without the token. */
  readonly origin: string;
  readonly port: number;
  /** Open live connections (browser tabs following a page). */
  readonly streams: () => number;
  close(): Promise<void>;
}

/** Where the static assets are: beside this file in the sources, or in the sources' folder when run from dist/. */
export function staticDir(): string {
  const candidates = [
    path.join(__dirname, 'static'),
    path.resolve(__dirname, '..', '..', '..', 'client', 'dashboard', 'static'),
    path.resolve(__dirname, '..', '..', '..', '..', 'client', 'dashboard', 'static'),
  ];
  const found = candidates.find((d) => existsSync(path.join(d, 'index.html')));
  if (!found) throw new Error(`the dashboard's pages are missing (looked in ${candidates.join(', ')})`);
  return found;
}

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/** The progress document is self-contained: its own styles, no script. */
const DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const host = o.host ?? '127.0.0.1';
  const dir = staticDir();
  const assets = new Map<string, string>();
  for (const name of ['index.html', 'goal.html', 'app.css', 'common.js', 'home.js', 'goal.js']) {
    assets.set(name, readFileSync(path.join(dir, name), 'utf8'));
  }
  const redact = createRedactor([o.token]);
  const json = (value: unknown) => redact(JSON.stringify(value));

  const home = new HomeFeed(o.client, {
    ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}),
    ...(o.onVisibilityRequest ? { onVisibilityRequest: o.onVisibilityRequest } : {}),
    ...(o.onHomeLookup ? { onLookup: o.onHomeLookup } : {}),
  });
  const goals = new GoalFeeds({
    client: o.client,
    store: o.store,
    home: o.home,
    temporalUi: o.temporalUi,
    ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}),
    onView: (view) => home.noteView(view),
    ...(o.onStatusQuery ? { onQuery: o.onStatusQuery } : {}),
  });

  // The port is known only once listening (port 0); access checks the Host header against it.
  let accessMiddleware: ReturnType<typeof createAccess> | null = null;
  const open = new Set<() => void>();

  const app = new Hono();
  const checkAccess: MiddlewareHandler = (c, next) => accessMiddleware!.middleware(c, next);
  app.use('*', checkAccess);

  // A WebSocket handshake is a GET that another site's page may start: it must come from this dashboard's pages.
  const sameOrigin: MiddlewareHandler = async (c, next) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== `http://${c.req.header('host')}`) {
      return c.text(`refused: a live connection from another origin (${origin})`, 403);
    }
    await next();
  };

  const page = (c: Context, name: string) => {
    c.header('Content-Security-Policy', PAGE_CSP);
    return c.html(assets.get(name)!.replace('__CSRF__', accessMiddleware!.csrf));
  };
  app.get('/', (c) => page(c, 'index.html'));
  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.get('/goals/:id', (c) => page(c, 'goal.html'));
  app.get('/static/:name', (c) => {
    const name = c.req.param('name');
    const body = assets.get(name);
    const type = TYPES[path.extname(name)];
    if (body === undefined || type === undefined || name.endsWith('.html')) return c.notFound();
    return c.body(body, 200, { 'Content-Type': type });
  });
  const document = (c: Context, file: string) => {
    if (!existsSync(file)) return c.text('not written yet', 404);
    c.header('Content-Security-Policy', DOCUMENT_CSP);
    return c.html(redact(readFileSync(file, 'utf8')));
  };
  app.get('/goals/:id/progress', (c) => document(c, progressPaths(o.home, c.req.param('id')).html));
  app.get('/goals/:id/report', (c) => document(c, reportPaths(o.home, c.req.param('id')).html));

  app.get('/api/goals', async (c) =>
    c.body(json(await home.feed.refresh()), 200, { 'Content-Type': 'application/json' }),
  );
  app.get('/api/goals/:id', async (c) =>
    c.body(json(await goals.read(c.req.param('id'))), 200, { 'Content-Type': 'application/json' }),
  );

  /** A live connection: each new snapshot of the feed as one text message, until the tab goes. */
  const live = (subscribe: (c: Context) => (send: (value: unknown) => void) => () => void) =>
    upgradeWebSocket((c) => {
      const follow = subscribe(c);
      let end: (() => void) | null = null;
      return {
        onOpen: (_event, ws) => {
          const raw = ws.raw as WebSocketLike;
          const stop = follow((value) => {
            if (raw.readyState === 1) raw.send(json(value));
          });
          end = () => {
            stop();
            open.delete(close);
          };
          const close = () => raw.close(1001, 'the dashboard stops');
          open.add(close);
        },
        onClose: () => end?.(),
        onError: () => end?.(),
      };
    });
  app.get(
    '/live/goals',
    sameOrigin,
    live(() => (send) => home.feed.subscribe(send)),
  );
  app.get(
    '/live/goals/:id',
    sameOrigin,
    live((c) => {
      const id = c.req.param('id')!;
      return (send) => goals.subscribe(id, send);
    }),
  );

  app.post('/api/goals/:id/:control', async (c) => {
    const control = c.req.param('control');
    if (!(CONTROLS as readonly string[]).includes(control)) {
      return c.json({ ok: false, message: `unknown control ${control}: one of ${CONTROLS.join(', ')}` }, 404);
    }
    let body: Record<string, unknown> = {};
    const raw = await c.req.text();
    if (raw.trim() !== '') {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        body = parsed as Record<string, unknown>;
      } catch {
        return c.json({ ok: false, message: 'the body must be a JSON object' }, 400);
      }
    }
    const id = c.req.param('id');
    const reply = await runControl(o.client, id, control as Control, body);
    if (reply.body.ok) void goals.read(id, true).catch(() => undefined); // watchers see the change at once
    return c.body(json(reply.body), reply.status, { 'Content-Type': 'application/json' });
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve(
      {
        fetch: app.fetch,
        hostname: host,
        port: o.port ?? 8234,
        websocket: { server: new WebSocketServer({ noServer: true }) },
      },
      () => resolve(s),
    );
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  accessMiddleware = createAccess({ token: o.token, port, hosts: [host] });
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const origin = `http://${shownHost}:${port}`;
  return {
    url: `${origin}/?token=${o.token}`,
    origin,
    port,
    streams: () => open.size,
    close: async () => {
      for (const close of [...open]) close();
      home.close();
      goals.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
    },
  };
}
