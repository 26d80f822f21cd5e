/**
 * The web dashboard in a real browser (headless Chromium through playwright-core) against a real Temporal dev
 * server, a real worker and the scripted model: goals appear on the home page, a goal's chart gains a point when a
 * measurement lands without a reload, Pause pauses the goal (as the status query tells), and nothing is served
 * without the access token or to another origin. With LONGHAUL_DASHBOARD_SCREENSHOTS=<dir>, the two pages are
 * saved there as dashboard-home.png and dashboard-goal.png (the README's screenshots: docs/).
 */
import http from 'node:http';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { FileGoalStore } from '../activities/store/files';
import { CSRF_HEADER } from '../client/dashboard/access';
import { startDashboard, type Dashboard } from '../client/dashboard/server';
import { goalStatus, startGoal } from '../client/goals';
import { parseGoalSpec } from '../goal/spec';
import { deferred, type Deferred } from './helpers/deferred';
import { NO_FINISHING } from './helpers/finishing';
import { createHarness, type Harness } from './helpers/goal-harness';
import { useServerAndFake } from './helpers/suite';
import { runCli } from './helpers/cli';
import { findChromium, launchChromium, REQUIRE_CHROMIUM } from './helpers/chromium';
import { freePort } from './helpers/ports';
import { waitFor } from './helpers/worker-process';
import { scoreMetric, scoreWorkspace, tempDir, writeScore } from './helpers/workspace';

const chromiumPath = findChromium();
const SCREENSHOTS = process.env.LONGHAUL_DASHBOARD_SCREENSHOTS;
const TOKEN = 'dashboard-test-token-0123456789abcdef';

const suite = useServerAndFake();

/** Polls an asynchronous `predicate` every 100 ms until it holds (15 s at most). */
async function until(predicate: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the dashboard in a real browser (headless Chromium)', () => {
  if (!chromiumPath && !REQUIRE_CHROMIUM) {
    test.skip('skipped: no chromium binary (apt-get install -y --no-install-recommends chromium, or set CHROMIUM_PATH)', () => {});
    return;
  }

  let h: Harness;
  let dashboard: Dashboard;
  let browser: Browser;
  const stopWorker = deferred();
  let worker: Promise<void>;
  let visibilityRequests = 0;
  const statusQueries: string[] = [];

  beforeAll(async () => {
    if (!chromiumPath)
      throw new Error('LONGHAUL_REQUIRE_CHROMIUM=1 but no chromium binary: apt-get install -y chromium');
    h = await createHarness(suite.env, suite.fake);
    worker = h.worker.runUntil(stopWorker.promise); // for the whole file: status queries of ended goals need it too
    dashboard = await startDashboard({
      client: suite.env.client,
      store: new FileGoalStore(h.home),
      home: h.home,
      token: TOKEN,
      port: 0,
      temporalUi: { url: 'http://127.0.0.1:8233', namespace: suite.env.namespace ?? 'default' },
      onVisibilityRequest: () => visibilityRequests++,
      onStatusQuery: (id) => statusQueries.push(id),
    });
    browser = await launchChromium(chromiumPath);
  });
  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    stopWorker.resolve();
    await worker;
  });

  const get = (p: string, headers: Record<string, string> = {}) => fetch(`${dashboard.origin}${p}`, { headers });
  const bearer = { Authorization: `Bearer ${TOKEN}` };

  test('a request without the token gets 401; with a wrong one too; the token URL swaps it for an HttpOnly SameSite=Strict cookie', async () => {
    for (const p of ['/', '/goals/x', '/static/goal.js', '/api/goals', '/live/goals', '/goals/x/progress']) {
      expect({ p, status: (await get(p)).status }).toEqual({ p, status: 401 });
      expect({ p, status: (await get(p, { Authorization: 'Bearer wrong-token' })).status }).toEqual({ p, status: 401 });
    }
    const wrong = await fetch(`${dashboard.origin}/?token=wrong`, { redirect: 'manual' });
    expect(wrong.status).toBe(401);
    const bad = await fetch(`${dashboard.origin}/api/goals/x/pause`, { method: 'POST', headers: { Cookie: 'x=y' } });
    expect(bad.status).toBe(401);

    const swap = await fetch(dashboard.url, { redirect: 'manual' });
    expect(swap.status).toBe(303);
    expect(swap.headers.get('location')).toBe('/'); // the token leaves the address bar
    const cookie = swap.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^longhaul_dashboard_${dashboard.port}=${TOKEN};`));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const home = await get('/', { Cookie: cookie.split(';')[0]! });
    expect(home.status).toBe(200);
    expect(home.headers.get('content-security-policy')).toMatch(/script-src 'self'/);

    // Another name for this address (DNS rebinding) is refused even with the token.
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: dashboard.port, path: '/api/goals', headers: { Host: 'evil.example', ...bearer } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.once('error', reject);
      req.end();
    });
    expect(rebound).toBe(421);

    // The live connection: refused without the token, and from another site's page even with it.
    const handshake = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${dashboard.port}/live/goals`, { headers });
        ws.once('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.once('open', () => {
          resolve(101);
          ws.close();
        });
        ws.once('error', reject);
      });
    expect(await handshake({})).toBe(401);
    expect(await handshake({ Cookie: cookie.split(';')[0]!, Origin: 'http://evil.example' })).toBe(403);
    expect(await handshake({ Cookie: cookie.split(';')[0]!, Origin: dashboard.origin })).toBe(101);
  });

  test('a goal appears on the home page; its chart gains a point as a measurement lands, without a reload; Pause pauses it; Cancel (confirmed) ends it', async () => {
    // A goal that is met at its baseline, for a second row (achieved).
    {
      const done = await startGoal(
        suite.env.client,
        parseGoalSpec({
          objective: 'Keep the score at 9',
          workspace: scoreWorkspace(9),
          metrics: [scoreMetric(9)],
          ...NO_FINISHING,
        }),
        { taskQueue: h.taskQueue, goalId: 'dash-already-met' },
      );
      await done.result();
    }

    // The goal under test: its score rises turn by turn, each turn's model reply held until the test lets it go.
    const gates: Deferred[] = [deferred(), deferred(), deferred(), deferred()];
    let turn = 0;
    suite.fake.setScript(async (req) => {
      if (JSON.stringify(req.body).includes('DASHBOARD-QUESTION')) return { text: 'The score is 4 now.' }; // ask
      turn += 1;
      if (turn >= 2) await gates[Math.min(turn, gates.length) - 1]!.promise;
      return writeScore(turn * 2);
    });
    const goalId = 'dash-goal';
    {
      const handle = await startGoal(
        suite.env.client,
        parseGoalSpec({
          objective: 'Raise the score to 9',
          workspace: scoreWorkspace(0),
          metrics: [scoreMetric(9)],
          ...NO_FINISHING,
        }),
        { taskQueue: h.taskQueue, goalId },
      );
      const latest = async () => (await goalStatus(suite.env.client, goalId)).metrics[0]?.latest;
      await waitFor(() => turn >= 2, 60_000, 'turn 2 to start'); // turn 1 measured: score 2

      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text()); // e.g. a resource or a style the page's policy blocks
      });
      await page.goto(dashboard.url);
      expect(new URL(page.url()).search).toBe(''); // the token is gone from the address bar
      const row = page.locator(`tr[data-goal="${goalId}"]`);
      await row.waitFor({ timeout: 15_000 });
      expect(await row.getAttribute('data-status')).toBe('running');
      await page.locator('tr[data-goal="dash-already-met"][data-status="achieved"]').waitFor({ timeout: 15_000 });
      // Needs attention first, then running, then ended.
      expect(await page.locator('tbody#goals tr').first().getAttribute('data-goal')).toBe(goalId);
      await page.selectOption('#filter', 'achieved');
      expect(await page.locator('tbody#goals tr[data-goal]').count()).toBe(1);
      await page.selectOption('#filter', '');
      await page.locator(`tr[data-goal="${goalId}"] td.cost`).filter({ hasText: '$' }).waitFor({ timeout: 15_000 });
      if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-home.png') });

      await row.locator('a.goal-id').click();
      await page.waitForURL(`**/goals/${goalId}`);
      const chart = page.locator('[data-chart="score"]');
      await chart.locator('svg circle.sample').first().waitFor({ timeout: 15_000 });
      const before = Number(await chart.getAttribute('data-samples'));
      expect(before).toBe(2); // the baseline and turn 1
      expect(await page.locator('#temporal-link').getAttribute('href')).toBe(
        `http://127.0.0.1:8233/namespaces/${suite.env.namespace ?? 'default'}/workflows/${goalId}`,
      );
      await page.locator('#progress-link').waitFor({ timeout: 15_000 });
      await page.locator('.turn[data-turn="1"] .call code', { hasText: 'write_file' }).waitFor();
      await page.evaluate('window.stayed = true');

      gates[1]!.resolve(); // turn 2 writes 4: a measurement lands
      await waitFor(() => turn >= 3, 60_000, 'turn 3 to start');
      expect(await latest()).toBe(4);
      await page.locator(`[data-chart="score"][data-samples="${before + 1}"]`).waitFor({ timeout: 15_000 });
      expect(await chart.locator('svg circle.sample').count()).toBe(before + 1);
      expect(await page.evaluate('window.stayed')).toBe(true); // no reload
      await page.locator('tr[data-metric="score"] td.latest', { hasText: '4' }).waitFor();
      if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-goal.png'), fullPage: true });

      // Pause, as the CLI would; the status query says so, and the page offers Resume.
      expect((await goalStatus(suite.env.client, goalId)).paused).toBe(false);
      await page.click('#pause');
      await page.locator('#message.ok').filter({ hasText: 'paused' }).waitFor({ timeout: 15_000 });
      expect((await goalStatus(suite.env.client, goalId)).paused).toBe(true);
      await page.locator('#resume').waitFor({ state: 'visible', timeout: 15_000 });
      expect(await page.locator('#pause').isHidden()).toBe(true);

      // Guidance carrying the token: the goal gets it, the dashboard never serves it back.
      await page.fill('#guide-text', `keep going; ignore ${TOKEN}`);
      await page.click('#guide');
      await page.locator('#message.ok').filter({ hasText: 'guidance sent' }).waitFor();
      await until(async () => (await goalStatus(suite.env.client, goalId)).guidance.length === 1, 'the guidance');
      await page.locator('#guidance li', { hasText: 'keep going' }).waitFor({ timeout: 15_000 });
      const served = await (await get(`/api/goals/${goalId}`, bearer)).text();
      expect(served).toContain('keep going; ignore [redacted]');
      expect(served).not.toContain(TOKEN);

      // A side question is answered inline.
      await page.fill('#ask-text', 'DASHBOARD-QUESTION: what is the score?');
      await page.click('#ask');
      await page.locator('#answer .answer-text', { hasText: 'The score is 4 now.' }).waitFor({ timeout: 30_000 });

      // A bad edit is refused with the CLI's message; the goal is unchanged.
      await page.locator('#edit-box summary').click();
      await page.fill('#edit-maxTurns', 'many');
      await page.click('#edit');
      await page.locator('#message.bad').filter({ hasText: '--max-turns "many": must be a whole number' }).waitFor();
      expect((await goalStatus(suite.env.client, goalId)).goalVersion).toBe(1);
      // A good one is accepted as the next goal version, pending until the next turn boundary.
      await page.fill('#edit-maxTurns', '40');
      await page.fill('#edit-reason', 'enough for this');
      await page.click('#edit');
      await page.locator('#message.ok').filter({ hasText: 'edit accepted as goal version 2' }).waitFor();
      expect((await goalStatus(suite.env.client, goalId)).pendingEdits.map((e) => e.version)).toEqual([2]);

      // Resume, and the status query says so.
      await page.click('#resume');
      await page.locator('#message.ok').filter({ hasText: 'resumed' }).waitFor({ timeout: 15_000 });
      expect((await goalStatus(suite.env.client, goalId)).paused).toBe(false);

      // Cancel asks first; confirmed, the goal ends cancelled.
      await page.click('#cancel');
      await page.locator('#cancel-confirm').waitFor({ state: 'visible' });
      await page.click('#cancel-yes');
      await page.locator('#message.ok').filter({ hasText: 'cancellation requested' }).waitFor({ timeout: 15_000 });
      for (const g of gates) g.resolve();
      await handle.result().catch(() => undefined);
      await page.locator('body[data-status="cancelled"]').waitFor({ timeout: 30_000 });
      expect((await goalStatus(suite.env.client, goalId)).status).toBe('cancelled');
      expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]); // the bad edit's answer is a 400
      await context.close();
    }
  });

  test('a state-changing request needs POST, the page header and its own origin: a cookie alone is not enough', async () => {
    const cookie = `longhaul_dashboard_${dashboard.port}=${TOKEN}`;
    const pause = (headers: Record<string, string>) =>
      fetch(`${dashboard.origin}/api/goals/dash-goal/pause`, {
        method: 'POST',
        headers: { Cookie: cookie, ...headers },
      });
    const csrf = /name="longhaul-csrf" content="([^"]+)"/.exec(await (await get('/', { Cookie: cookie })).text())?.[1];
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const own = dashboard.origin;
    expect((await pause({ Origin: own })).status).toBe(403); // no header
    expect((await pause({ Origin: 'http://evil.example', [CSRF_HEADER]: csrf! })).status).toBe(403);
    expect((await pause({ [CSRF_HEADER]: csrf! })).status).toBe(403); // no Origin
    const put = await fetch(`${dashboard.origin}/api/goals/dash-goal/pause`, { method: 'PUT', headers: bearer });
    expect(put.status).toBe(405);
    // With all three, the request reaches the goal, which has ended: refused as the CLI refuses it.
    const ended = await pause({ Origin: own, [CSRF_HEADER]: csrf! });
    expect(ended.status).toBe(409);
    expect(((await ended.json()) as { message: string }).message).toMatch(/has already ended/);
  });

  test('however many tabs watch, visibility is asked at most once a second and a goal at most once a second', async () => {
    const context = await browser.newContext();
    const pages: Page[] = [];
    for (let i = 0; i < 4; i++) pages.push(await context.newPage());
    await pages[0]!.goto(dashboard.url); // sets the cookie for the context
    for (const p of pages.slice(1)) await p.goto(`${dashboard.origin}/`);
    const watchers: Page[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await context.newPage();
      await p.goto(`${dashboard.origin}/goals/dash-goal`);
      watchers.push(p);
    }
    for (const p of pages) await p.locator('tr[data-goal="dash-goal"]').waitFor();
    const [v0, q0, t0] = [visibilityRequests, statusQueries.length, Date.now()];
    await new Promise((r) => setTimeout(r, 4_000));
    const seconds = (Date.now() - t0) / 1000;
    expect(dashboard.streams()).toBe(7);
    expect(visibilityRequests - v0).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    expect(visibilityRequests - v0).toBeGreaterThanOrEqual(2); // and it does poll
    // The ended goal is asked again only every 30 s, however many tabs show it.
    expect(statusQueries.length - q0).toBeLessThanOrEqual(1);
    await context.close();
    await waitFor(() => dashboard.streams() === 0, 10_000, 'the streams to close with their tabs');
  });
});

describe('starting the dashboard', () => {
  test('longhaul dev puts it on the Web UI port + 1, or on any free port when that one is taken; a port asked for and taken is an error naming the flag', async () => {
    const { startDevDashboard } = await import('../client/dashboard/dev');
    const { DashboardPortInUseError } = await import('../client/dashboard/run');
    const uiPort = await freePort();
    const common = {
      client: suite.env.client,
      store: new FileGoalStore(tempDir('longhaul-home-')),
      home: tempDir('longhaul-home-'),
      uiUrl: `http://127.0.0.1:${uiPort}`,
      namespace: 'default',
      env: { LONGHAUL_DASHBOARD_TOKEN: TOKEN },
    };
    const first = await startDevDashboard(common);
    try {
      expect(first.port).toBe(uiPort + 1);
      expect(first.banner).toContain(`dashboard: http://127.0.0.1:${uiPort + 1}/?token=${TOKEN}`);
      const second = await startDevDashboard(common); // uiPort + 1 is taken now
      expect(second.port).not.toBe(uiPort + 1);
      await second.close();
      await expect(startDevDashboard({ ...common, port: uiPort + 1 })).rejects.toThrow(DashboardPortInUseError);
      await expect(startDevDashboard({ ...common, port: uiPort + 1 })).rejects.toThrow(/pass --port/);
    } finally {
      await first.close();
    }
  });

  test('longhaul dashboard refuses a short LONGHAUL_DASHBOARD_TOKEN before connecting (exit 2, with the fix)', async () => {
    const r = await runCli(['dashboard', '--port', String(await freePort())], {
      LONGHAUL_DASHBOARD_TOKEN: 'short',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/LONGHAUL_DASHBOARD_TOKEN must be at least 24 characters.*openssl rand -hex 24/);
  });
});
