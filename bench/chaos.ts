/**
 * The chaos run (`npm run chaos`): G goals of T turns each on one dev server (SQLite file), one worker process
 * SIGKILLed after a random 5–20 s of work and started again at once, the dev server stopped and started again on
 * the same database (once gracefully, once with SIGKILL), and edits and guidance sent to random goals throughout.
 * Loopback only: the fake model and the fake Slack. Then it checks, from the evidence (bench/lib/chaos-checks.ts):
 * every goal ends in its expected status; every edit and guidance message reached the model exactly once; no
 * completed tool call ran again (a repeat only across a crash, the call in flight then, and counted); each Slack
 * event posted once; milestone commits as counted; no secret in requests, Slack, histories or the goal store.
 * Exits non-zero on any problem or when the goals do not end within `--minutes`.
 *
 *   npm run chaos                      # 20 goals × 50 turns, 2 server restarts (bounded by --minutes=12)
 *   npm run chaos -- --quick           # 4 goals × 15 turns, 1 server restart
 *   npm run chaos -- --record          # also adds the run's row to RELIABILITY.md
 *   sizes: --goals= --turns= --restarts= --minutes= --kill-min= --kill-max= (s)
 */
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { milestoneLog } from '../activities/workspace/milestone';
import { startDevServer, type DevServer } from '../client/dev-server';
import { startGoal } from '../client/goals';
import { editUpdate, guideSignal, statusQuery } from '../goal/messages';
import { parseGoalSpec } from '../goal/spec';
import type { GoalOutcome, GoalStatusView } from '../goal/status';
import type { goalWorkflow } from '../workflows/goal';
import { FakeSlack } from '../test/fakes/slack-server';
import { freePort } from '../test/helpers/ports';
import { gitWorkspace, scoreMetric, tempDir } from '../test/helpers/workspace';
import { workflowBundleFile } from './lib/bundle';
import { checkChaos, type GoalEvidence, type Sent } from './lib/chaos-checks';
import { startChaosModel, type ChaosGoalScript } from './lib/chaos-model';
import { ChaosWorker } from './lib/chaos-worker';
import { main, QUICK, sized, sleep } from './lib/cli';
import { REPO_ROOT } from './lib/temporal';

type GoalHandle = WorkflowHandle<typeof goalWorkflow>;

const CHANNEL = 'C0LONGHAUL1';
const rand = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

/** Retries `fn` while the server is away (connection errors), up to `ms`. */
async function retrying<T>(what: string, fn: () => Promise<T>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof WorkflowFailedError || Date.now() > deadline) {
        throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
      await sleep(1_000);
    }
  }
}

/** Every file under `dir` (the goal store), for the secret scan. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

main(async () => {
  const wallStart = Date.now();
  const loadAtStart = os.loadavg();
  const G = sized('goals', 20, 4);
  const T = sized('turns', 50, 15);
  const restarts = sized('restarts', 2, 1);
  const minutes = sized('minutes', 12, 5);
  const killRange = [sized('kill-min', 5, 5) * 1000, sized('kill-max', 20, 20) * 1000] as const;
  const latency = [50, 200] as const;
  const record = process.argv.includes('--record');
  process.env.TEMPORAL_CLI_PATH ??= path.join(REPO_ROOT, '.tools', 'temporal', 'bin', 'temporal');

  const root = tempDir('longhaul-chaos-');
  const tag = Date.now().toString(36);
  const secrets = {
    openai: `sk-chaos-${randomBytes(12).toString('hex')}`,
    slack: `xoxb-chaos-${randomBytes(12).toString('hex')}`,
  };
  // One git init, copied: calls.log is ignored, so only score changes trigger a verification.
  const template = gitWorkspace({ 'score.txt': '0\n', 'measure.sh': 'cat score.txt\n', '.gitignore': 'calls.log\n' });
  const goals: (ChaosGoalScript & { expected: GoalOutcome['status']; maxTurns: number })[] = Array.from(
    { length: G },
    (_, i) => {
      const workspace = path.join(root, `ws-${i + 1}`);
      cpSync(template, workspace, { recursive: true });
      const reachesTarget = i % 5 !== 4; // every fifth goal runs out of turns short of its target
      return {
        id: `chaos-${tag}-g${String(i + 1).padStart(2, '0')}`,
        workspace,
        turns: T,
        reachesTarget,
        expected: reachesTarget ? 'achieved' : 'budget_exhausted',
        maxTurns: reachesTarget ? T + 10 : T,
      };
    },
  );

  const model = await startChaosModel(goals, latency, [secrets.openai, secrets.slack]);
  const slack = await FakeSlack.start({ token: secrets.slack });
  const bundlePath = await workflowBundleFile();
  const [port, uiPort] = [await freePort(), await freePort()];
  const serverHome = path.join(root, 'server');
  let server: DevServer = await startDevServer({ home: serverHome, port, uiPort });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const taskQueue = `chaos-${tag}`;
  const workerHome = path.join(root, 'home');
  const worker = new ChaosWorker({
    address: server.address,
    taskQueue,
    home: workerHome,
    modelUrl: model.url,
    bundlePath,
    openaiKey: secrets.openai,
    slack: { token: secrets.slack, channel: CHANNEL, url: slack.url },
    logFile: path.join(root, 'worker.log'),
  });
  console.error(
    `chaos: ${G} goals × ${T} turns, ${restarts} server restart(s), kills every ${killRange[0] / 1000}–${killRange[1] / 1000} s of work; files in ${root}`,
  );

  let allDone = false;
  let serverUp = true;
  let steeringPaused = false;
  const serverStops: number[] = [];
  const sent: Sent[] = [];
  const refused: string[] = [];
  const pending = new Set<Promise<void>>();
  const handles = new Map<string, GoalHandle>();
  let failure: Error | null = null;

  try {
    await worker.start();
    for (const g of goals) {
      const spec = parseGoalSpec({
        objective: `Raise the score to 100 (chaos run, goal ${g.id})`,
        workspace: g.workspace,
        metrics: [scoreMetric(100)],
        budget: { maxTurns: g.maxTurns },
        model: { contextWindow: 16_000 },
        stall: { noProgress: 100_000, repeatedFailures: 1000 },
        finalize: { reflect: false, cleanupTurns: 0 },
      });
      // Short heartbeats so a killed worker's activities are retried within seconds; small runs so goals
      // continue-as-new several times under the chaos.
      const tuning = { heartbeatTimeoutSeconds: 5, maxHistoryEvents: sized('history-events', 300, 150) };
      handles.set(g.id, await startGoal(client, spec, { taskQueue, goalId: g.id, tuning }));
    }

    // Steering: an edit or a guidance message to a random goal every 0.5–4 s, only while the goal has turns ahead
    // (so each must reach the model) and the server is up (so each send has a definite outcome).
    const editSeq = new Map<string, number>();
    const steering = (async () => {
      let n = 0;
      while (!allDone) {
        await sleep(rand(500, 4_000));
        if (allDone || !serverUp || steeringPaused) continue;
        const eligible = goals.filter((g) => {
          const t = model.latestTurn.get(g.id) ?? 0;
          return t >= 2 && t <= g.turns - 6;
        });
        if (eligible.length === 0) continue;
        const g = pick(eligible);
        const handle = handles.get(g.id)!;
        n += 1;
        const kind = Math.random() < 0.5 ? 'edit' : 'guidance';
        const marker = `[${kind} ${g.id.slice(-3)} #${n}]`;
        let send: Promise<unknown>;
        if (kind === 'guidance') {
          send = handle.signal(guideSignal, `Keep going; note ${marker}`);
        } else {
          const k = (editSeq.get(g.id) ?? 0) + 1;
          editSeq.set(g.id, k);
          const budget = g.reachesTarget && Math.random() < 0.5;
          send = handle.executeUpdate(editUpdate, {
            args: [
              budget
                ? { budget: { maxTurns: g.maxTurns + k }, reason: marker }
                : { guidance: `Append one line per turn (version ${k}) ${marker}`, reason: marker },
            ],
          });
        }
        const p = send.then(
          () => void sent.push({ kind, goal: g.id, marker, at: Date.now() }),
          (err: unknown) => void refused.push(`${marker}: ${err instanceof Error ? err.message : String(err)}`),
        );
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
    })();

    // Chaos: the worker works 5–20 s, is SIGKILLed and started again at once; the server restarts once the goals
    // are through the given shares of their turns.
    const restartAt =
      restarts === 1 ? [0.5] : Array.from({ length: restarts }, (_, i) => 0.3 + (0.35 * i) / Math.max(1, restarts - 1));
    const progress = () => [...model.latestTurn.values()].reduce((a, b) => a + b, 0) / (G * T);
    const chaos = (async () => {
      while (!allDone) {
        const until = Date.now() + rand(killRange[0], killRange[1]);
        while (!allDone && Date.now() < until) {
          if (serverStops.length < restartAt.length && progress() >= restartAt[serverStops.length]!) {
            steeringPaused = true;
            await Promise.race([Promise.all([...pending]), sleep(90_000)]);
            const hard = serverStops.length % 2 === 1;
            console.error(
              `chaos: stopping the dev server (${hard ? 'SIGKILL' : 'SIGTERM'}) at ${(progress() * 100).toFixed(0)}% of the turns`,
            );
            serverUp = false;
            serverStops.push(Date.now());
            if (hard) server.process.kill('SIGKILL');
            await server.stop();
            await sleep(2_000); // the worker and the client see it gone
            server = await startDevServer({ home: serverHome, port, uiPort });
            serverUp = true;
            steeringPaused = false;
          }
          await sleep(200);
        }
        if (allDone) break;
        await worker.kill();
        await worker.start();
      }
    })();

    const outcomes = new Map<string, GoalOutcome>();
    const ended = Promise.all(
      goals.map(async (g) => {
        outcomes.set(g.id, await retrying(`${g.id} result`, () => handles.get(g.id)!.result(), minutes * 60_000));
      }),
    );
    const deadline = sleep(minutes * 60_000).then(() => 'deadline' as const);
    const first = await Promise.race([ended.then(() => 'ended' as const), deadline]);
    allDone = true;
    await chaos;
    await steering;
    await Promise.race([Promise.all([...pending]), sleep(30_000)]);
    if (first === 'deadline') {
      const open = goals
        .filter((g) => !outcomes.has(g.id))
        .map((g) => `${g.id} at turn ${model.latestTurn.get(g.id) ?? 0}`);
      throw new Error(`the goals did not end within ${minutes} min: ${open.join(', ')}`);
    }
    if (!worker.running) await worker.start();
    const wallSeconds = (Date.now() - wallStart) / 1000;

    // Evidence, then the checks.
    const evidence: GoalEvidence[] = [];
    let runs = 0;
    let historyLeaks = 0;
    const secretValues = [secrets.openai, secrets.slack];
    for (const g of goals) {
      const handle = handles.get(g.id)!;
      const status: GoalStatusView = await retrying(`${g.id} status`, () => handle.query(statusQuery));
      const parents = slack.parents(CHANNEL).filter((m) => m.metadata?.event_payload.goal_id === g.id);
      const log = status.startCommit
        ? await milestoneLog(g.workspace, status.milestones.branch, status.startCommit)
        : [];
      evidence.push({
        goal: g,
        expected: g.expected,
        outcome: outcomes.get(g.id)!,
        status,
        callsLog: existsSync(path.join(g.workspace, 'calls.log'))
          ? readFileSync(path.join(g.workspace, 'calls.log'), 'utf8')
          : '',
        slackParents: parents,
        slackReplies: parents[0] ? slack.replies(CHANNEL, parents[0].ts) : [],
        milestoneCommits: log.length,
      });
      for await (const w of client.workflow.list({ query: `WorkflowId = '${g.id}'` })) {
        runs += 1;
        const history = await client.workflow.getHandle(g.id, w.runId).fetchHistory();
        const text = JSON.stringify(history, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
        if (secretValues.some((s) => text.includes(s))) historyLeaks += 1;
      }
    }
    const storeLeaks = filesUnder(workerHome).filter((f) => {
      const text = readFileSync(f, 'latin1');
      return secretValues.some((s) => text.includes(s));
    }).length;
    const slackLeaks = slack.calls.filter((c) => secretValues.some((s) => c.raw.includes(s))).length;
    const secretsLeaked = model.secretHits + slackLeaks + historyLeaks + storeLeaks;

    const result = checkChaos(evidence, model.turns, sent, { kills: worker.killTimes, serverStops });
    const edits = sent.filter((s) => s.kind === 'edit').length;
    const guidance = sent.length - edits;
    const problems = { ...result.problems, secretsLeaked, unexpectedWorkerExits: worker.unexpectedExits };
    const failed = Object.entries(problems).filter(([, v]) => v > 0);
    const f = result.figures;
    const loadAtEnd = os.loadavg();

    const figures: [string, string | number][] = [
      ['goals (ended as expected)', `${G} (${G - problems.wrongStatus})`],
      ['turns', f.turns],
      ['worker SIGKILLs survived', worker.kills],
      [
        'dev server restarts survived',
        `${serverStops.length} (${serverStops.length > 1 ? '1 SIGTERM, 1 SIGKILL' : 'SIGTERM'})`,
      ],
      ['workflow runs (continue-as-new)', `${runs} (${runs - G} continue-as-new)`],
      ['edits sent / reached the model once', `${edits} / ${f.editsApplied}`],
      ['guidance sent / reached the model once', `${guidance} / ${f.guidanceDelivered}`],
      ['steering refused (goal had ended)', refused.length],
      ['model turns asked again (in flight at a crash)', f.modelTurnsAskedAgain],
      ['tool calls', f.toolCalls],
      ['tool calls re-executed (in flight at a crash)', f.toolCallsReExecuted],
      ['duplicate side effects', problems.duplicateSideEffects],
      ['edits + guidance lost', problems.editsLost + problems.guidanceLost],
      ['edits + guidance duplicated', problems.editsDuplicated + problems.guidanceDuplicated],
      [
        'Slack events posted / duplicates / missing',
        `${f.slackEvents} / ${problems.slackDuplicates} / ${problems.slackMissing}`,
      ],
      ['milestone commits (mismatches)', `${f.milestones} (${problems.milestoneMismatch})`],
      ['secrets leaked (requests, Slack, histories, store)', secretsLeaked],
      ['unexpected worker exits', worker.unexpectedExits],
      ['worker start → polling, median', `${median(worker.startupMs)} ms`],
      ['wall time', `${wallSeconds.toFixed(0)} s`],
    ];
    console.log(`\nChaos run (${QUICK ? 'quick' : 'full'}): ${failed.length === 0 ? 'PASSED' : 'FAILED'}`);
    for (const [k, v] of figures) console.log(`  ${k.padEnd(52)} ${v}`);
    console.log(
      `  machine: ${os.cpus().length} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; load ${fmtLoad(loadAtStart)} → ${fmtLoad(loadAtEnd)}`,
    );
    for (const d of result.details) console.log(`  problem: ${d}`);
    for (const r of refused.slice(0, 5)) console.log(`  refused: ${r}`);

    if (record) {
      const row = [
        new Date(wallStart).toISOString().slice(0, 16).replace('T', ' '),
        `${G}×${T}`,
        f.turns,
        worker.kills,
        serverStops.length,
        runs - G,
        `${edits}/${f.editsApplied}`,
        `${guidance}/${f.guidanceDelivered}`,
        f.modelTurnsAskedAgain,
        f.toolCallsReExecuted,
        problems.duplicateSideEffects,
        problems.editsLost + problems.guidanceLost,
        `${f.slackEvents}/${problems.slackDuplicates}`,
        secretsLeaked,
        `${wallSeconds.toFixed(0)} s`,
        `${fmtLoad(loadAtStart)}`,
        failed.length === 0 ? 'passed' : `**failed**: ${failed.map(([k, v]) => `${k} ${v}`).join(', ')}`,
      ];
      recordRow(`| ${row.join(' | ')} |`);
    }
    if (failed.length > 0) {
      throw new Error(`chaos run failed: ${failed.map(([k, v]) => `${k} = ${v}`).join(', ')}; files kept in ${root}`);
    }
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err));
  } finally {
    allDone = true;
    await worker.stop();
    await connection.close().catch(() => undefined);
    await server.stop();
    await model.close();
    await slack.close();
  }
  if (failure) {
    console.error(
      `worker log: ${path.join(root, 'worker.log')}; server log: ${path.join(serverHome, 'temporal-server.log')}`,
    );
    throw failure;
  }
  rmSync(root, { recursive: true, force: true });
  rmSync(template, { recursive: true, force: true });
});

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!;
}

function fmtLoad(l: readonly number[]): string {
  return l.map((x) => x.toFixed(2)).join(' ');
}

/** Adds a row to the chaos table of RELIABILITY.md (before the `<!-- /chaos-runs -->` marker). */
function recordRow(row: string): void {
  const file = path.join(REPO_ROOT, 'RELIABILITY.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const marker = '<!-- /chaos-runs -->';
  if (!text.includes(marker)) {
    console.error(`RELIABILITY.md has no ${marker} marker: the row was not recorded:\n${row}`);
    return;
  }
  // Prettier leaves a blank line between the table and the marker: the row goes right under the table.
  writeFileSync(file, text.replace(/\n*<!-- \/chaos-runs -->/, `\n${row}\n\n${marker}`));
}
