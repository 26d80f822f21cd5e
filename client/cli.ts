/** The `longhaul` command line. Human output by default, `--json` for scripts, meaningful exit codes. */
import { WorkflowNotFoundError } from '@temporalio/client';
import { Command, InvalidArgumentError, Option } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GOAL_STATUSES, type GoalStatusName } from '../goal/status';
import { ConfigError, loadTemporalConfig, longhaulHome } from '../common/temporal-config';
import { connectClient, TemporalUnreachableError } from './connect';
import { EXIT } from './exit-codes';
import type { EditFlags, InlineGoalOptions } from './spec-input';
import { formatList, formatStatus } from './format';
import { cancelGoal, goalStatus, listGoals, startGoal, waitForGoal } from './goals';
import { hostNameProblem } from '../goal/placement';

interface DraftCliOptions {
  workspace: string;
  out?: string;
  revise?: string;
  close?: boolean;
  id?: string;
  maxTurns?: number;
  model?: string;
  json?: boolean;
}

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

async function withClient<T>(
  fn: (client: Awaited<ReturnType<typeof connectClient>>['client']) => Promise<T>,
): Promise<T> {
  const { client, close } = await connectClient(loadTemporalConfig());
  try {
    return await fn(client);
  } finally {
    await close();
  }
}

type StartOptions = InlineGoalOptions & {
  id?: string;
  host?: string;
  anyHost?: boolean;
  wait?: boolean;
  json?: boolean;
};

/** A commander parser for a host name (goal/placement.ts). */
function hostArgument(text: string): string {
  const problem = hostNameProblem(text);
  if (problem) throw new InvalidArgumentError(problem);
  return text;
}

/** A commander parser for a whole number of at least `min`. */
function wholeNumber(min: number) {
  return (text: string): number => {
    if (!/^\d+$/.test(text.trim()) || Number(text) < min) {
      throw new InvalidArgumentError(`must be a whole number${min > 0 ? ` of at least ${min}` : ''}`);
    }
    return Number(text);
  };
}

/** A commander parser for a TCP port (1–65535). */
function portNumber(text: string): number {
  const port = wholeNumber(1)(text);
  if (port > 65_535) throw new InvalidArgumentError('must be a port number, 1 to 65535');
  return port;
}

const program = new Command('longhaul')
  .description('Durable goal mode for coding agents, on Temporal')
  .showHelpAfterError()
  .exitOverride();

interface DevCliOptions {
  port: number;
  uiPort?: number;
  goal?: string;
  exitWhenDone?: boolean;
  /** false with --no-dashboard. */
  dashboard: boolean;
  dashboardPort?: number;
}

program
  .command('dev')
  .description('run the embedded Temporal dev server (SQLite under LONGHAUL_HOME, Web UI) and a worker')
  // Each `longhaul dev` needs its own ports (and LONGHAUL_HOME): it stops, saying so, when they are taken.
  .option('--port <port>', 'Temporal gRPC port; must be free', portNumber, 7233)
  .option('--ui-port <port>', 'Web UI port; must be free (default: port + 1000)', portNumber)
  .option('--goal <spec>', 'start this goal spec once the worker runs')
  .option('--exit-when-done', 'stop when that goal ends; exit code 0 only if it was achieved')
  .option(
    '--dashboard-port <port>',
    'the web dashboard’s port (default: Web UI port + 1, else any free one)',
    portNumber,
  )
  .option('--no-dashboard', 'do not start the web dashboard')
  .action(async (o: DevCliOptions) => {
    const { finalizeSpec, readSpecFile } = await import('./spec-input');
    const goal = o.goal ? finalizeSpec(readSpecFile(o.goal)) : undefined;
    const { runDev } = await import('./dev'); // the worker SDK loads only for commands that run a worker
    const status = await runDev({
      port: o.port,
      ...(o.uiPort !== undefined ? { uiPort: o.uiPort } : {}),
      ...(goal ? { goal } : {}),
      exitWhenDone: Boolean(o.exitWhenDone),
      log: err,
      dashboard: o.dashboard && (o.dashboardPort !== undefined ? { port: o.dashboardPort } : {}),
    });
    if (status !== null && status !== 'achieved') process.exitCode = EXIT.notAchieved;
  });

program
  .command('demo')
  .description('create a small repository with a failing test and run a goal on it with `dev` (needs a model)')
  .option('--port <port>', 'Temporal gRPC port', '7233')
  .option('--ui-port <port>', 'Web UI port (default: port + 1000)')
  .action(async (o: { port: string; uiPort?: string }) => {
    const { prepareDemo } = await import('./demo');
    const goal = prepareDemo(longhaulHome());
    err(`demo workspace: ${goal.workspace}`);
    const { runDev } = await import('./dev'); // the worker SDK loads only for commands that run a worker
    const status = await runDev({
      port: Number(o.port),
      ...(o.uiPort ? { uiPort: Number(o.uiPort) } : {}),
      goal,
      exitWhenDone: true,
      log: err,
    });
    if (status !== 'achieved') process.exitCode = EXIT.notAchieved;
  });

program
  .command('worker')
  .description('run a worker against TEMPORAL_ADDRESS until Ctrl-C')
  .action(async () => {
    const { runWorker } = await import('../worker/main');
    await runWorker();
  });

// mcp: self-contained block (implementation in client/mcp-server.ts and client/mcp/).
program
  .command('mcp')
  .description(
    'serve Longhaul to other agents (Claude Code, Codex) as an MCP server on stdio: tools to start, check and steer goals, their progress documents and reports as resources',
  )
  .action(async () => {
    const { runMcpServer } = await import('./mcp-server');
    await runMcpServer({ log: err });
  });

// codec-server: self-contained block (implementation in client/codec-server.ts).
program
  .command('codec-server')
  .description('decrypt payloads for the Web UI and `temporal … --codec-endpoint` (POST /encode, /decode)')
  .option('--port <port>', 'port to listen on', wholeNumber(1), 8089)
  .option('--host <host>', 'address to listen on; it decrypts for anyone who reaches it', '127.0.0.1')
  .option('--origin <url...>', 'Web UI origins allowed to call it (default: localhost:8233 and localhost:8080)')
  .option('--namespace <ns...>', 'serve only these namespaces (X-Namespace header)')
  .action(async (o: { port: number; host: string; origin?: string[]; namespace?: string[] }) => {
    const { runCodecServer } = await import('./codec-server');
    await runCodecServer(o, err);
  });

// dashboard: self-contained block (implementation in client/dashboard/).
program
  .command('dashboard')
  .description(
    'a live web dashboard of all goals on localhost: status, charts, turns, and the controls (needs its token)',
  )
  .option('--port <port>', 'port to listen on', portNumber, 8234)
  .option('--host <host>', 'address to listen on; anyone who reaches it with the token can steer goals', '127.0.0.1')
  .option('--temporal-ui <url>', 'the Temporal Web UI, for links (default: a local dev server’s, gRPC port + 1000)')
  .action(async (o: { port: number; host: string; temporalUi?: string }) => {
    const { runDashboard } = await import('./dashboard/run');
    await runDashboard(o, out);
  });

program
  .command('start')
  .description('start a goal from a spec file (YAML/JSON) or inline: longhaul start "objective" --check "npm test"')
  .argument('<objective-or-spec>', 'the objective, or a path to a .yaml/.yml/.json spec')
  .option('-w, --workspace <dir>', 'the git repository to work in', '.')
  .option('--metric-cmd <cmd>', 'command whose run is measured')
  .option('--metric-name <name>', 'name of that metric', 'metric')
  .addOption(
    new Option('--measure <kind>', 'how the value is read').choices([
      'wall_time',
      'stdout_number',
      'json',
      'exit_code',
    ]),
  )
  .option('--pattern <regex>', 'stdout_number: regex whose first group is the number')
  .addOption(new Option('--direction <dir>', 'which way is better').choices(['lower', 'higher']))
  .option('--target <t>', 'absolute number (2.5) or relative to baseline (-30%)')
  .option('--repeat <n>', 'samples per measurement')
  .option('--check <cmd...>', 'a command that must exit 0 (repeatable)')
  .option('--guidance <text>', 'hints for the agent')
  .option('--max-turns <n>', 'turn budget')
  .option('--max-tokens <n>', 'token budget')
  .option('--max-hours <h>', 'wall-clock budget in hours')
  .option('--max-cost <usd>', 'model spend budget in US dollars, e.g. 20 (needs a known model price)')
  .option('--branch <name>', 'the goal branch for milestone commits (default longhaul/<goal id>)')
  .option('--slack-channel <channel>', "Slack channel for the goal's thread (default SLACK_CHANNEL on the worker)")
  .option('--cleanup-turns <n>', 'turns to clean up leftovers before the end, re-verified (default 3; 0 skips)')
  .option('--no-review', 'end straight after the verdict: no review of the attempts, no clean-up')
  .option('--model <name>', 'model name (default LONGHAUL_MODEL or gpt-5.1)')
  .addOption(new Option('--model-api <api>', 'wire API of the model server').choices(['responses', 'chat']))
  .option('--id <goalId>', 'goal id (default: derived from the objective)')
  .option(
    '--host <name>',
    "the worker host that has the workspace (default LONGHAUL_HOST, else this machine's name)",
    hostArgument,
  )
  .option('--any-host', 'no host: any worker may run it (one worker, or workspaces on a shared file system)')
  .option('--wait', 'block until the goal ends; exit 0 only if achieved')
  .option('--json', 'machine-readable output')
  .action(async (arg: string, o: StartOptions) => {
    const { finalizeSpec, inlineSpec, readSpecFile } = await import('./spec-input');
    const { hostWorkerWarning } = await import('./placement');
    const isFile = /\.(ya?ml|json)$/i.test(arg) && existsSync(arg);
    const spec = finalizeSpec(isFile ? readSpecFile(arg) : inlineSpec(arg, o));
    const { preflightGoal } = await import('./preflight');
    const { formatProtection } = await import('./protection');
    const protection = await preflightGoal(spec);
    const config = loadTemporalConfig();
    const host = o.anyHost ? undefined : (o.host ?? config.host);
    await withClient(async (client) => {
      const warning = host ? await hostWorkerWarning(client, config.namespace, config.taskQueue, host) : null;
      if (warning) err(`warning: ${warning}`);
      const handle = await startGoal(client, spec, {
        taskQueue: config.taskQueue,
        ...(o.id ? { goalId: o.id } : {}),
        ...(host ? { host } : {}),
      });
      // Said once the goal exists, so a goal that could not start reports only why.
      if (!o.json) for (const line of formatProtection(protection)) err(line);
      if (!o.wait) {
        out(o.json ? JSON.stringify({ goalId: handle.workflowId, protection }) : handle.workflowId);
        return;
      }
      if (!o.json) err(`started ${handle.workflowId}; waiting for it to end (Ctrl-C stops waiting, not the goal)`);
      const result = await waitForGoal(client, handle.workflowId);
      out(
        o.json
          ? JSON.stringify({ goalId: handle.workflowId, protection, ...result })
          : `${handle.workflowId} ${result.status}: ${result.reason}`,
      );
      if (result.status !== 'achieved') process.exitCode = EXIT.notAchieved;
    });
  });

program
  .command('draft')
  .description(
    'draft a goal: a read-only agent explores the workspace and proposes a spec the orchestrator has measured (goal.yaml + PLAN.md)',
  )
  .argument('[request]', 'what you want, in your words, e.g. "the build is too slow"')
  .option('-w, --workspace <dir>', 'the git repository to explore (never changed)', '.')
  .option('--out <dir>', 'where goal.yaml and PLAN.md go (default LONGHAUL_HOME/drafts/<draft id>)')
  .option('--revise <text>', 'a follow-up for the last draft (or --id): it proposes again, in the same draft')
  .option('--close', 'close the last draft (or --id)')
  .option('--id <draftId>', 'the draft (default: a new one; with --revise/--close, the last one)')
  .option('--max-turns <n>', 'model turns per proposal (default 12)', wholeNumber(1))
  .option('--model <name>', 'model name (default LONGHAUL_MODEL or gpt-5.1)')
  .option(
    '--host <name>',
    "the worker host that has the workspace (default LONGHAUL_HOST, else this machine's name)",
    hostArgument,
  )
  .option('--any-host', 'no host: any worker may explore it')
  .option('--json', 'machine-readable output')
  .action(async (request: string | undefined, o: DraftCliOptions & { host?: string; anyHost?: boolean }) => {
    const { closeDraft, lastDraftId, reviseDraft, startDraft, waitForProposal, writeDraftFiles } =
      await import('./draft');
    const { renderDraftSummary } = await import('../goal/draft');
    const { hostWorkerWarning } = await import('./placement');
    const config = loadTemporalConfig();
    const home = longhaulHome();
    await withClient(async (client) => {
      if (o.close) {
        const id = o.id ?? lastDraftId(home);
        await closeDraft(client, id);
        out(o.json ? JSON.stringify({ draftId: id, closed: true }) : `closed ${id}`);
        return;
      }
      let draft: { draftId: string; out: string };
      let after = { requests: 1, version: 0, events: 0 };
      if (o.revise !== undefined) {
        const r = await reviseDraft(client, o.revise, {
          home,
          ...(o.id ? { id: o.id } : {}),
          ...(o.out ? { out: o.out } : {}),
        });
        draft = r.last;
        after = {
          requests: r.before.requests.length + 1,
          version: r.before.proposal?.version ?? 0,
          events: r.before.eventsTotal,
        };
      } else {
        if (!request?.trim()) {
          const { InvalidSpecError } = await import('../goal/spec');
          throw new InvalidSpecError(['say what you want: longhaul draft "the build is too slow"']);
        }
        const host = o.anyHost ? undefined : (o.host ?? config.host);
        const warning = host ? await hostWorkerWarning(client, config.namespace, config.taskQueue, host) : null;
        if (warning) err(`warning: ${warning.replace('the goal waits', 'the draft waits')}`);
        const { host: _given, anyHost: _any, ...rest } = o;
        draft = await startDraft(client, request, {
          ...rest,
          home,
          taskQueue: config.taskQueue,
          ...(host ? { host } : {}),
        });
      }
      if (!o.json) err(`${draft.draftId}: exploring ${o.revise !== undefined ? 'the revision' : o.workspace}…`);
      const view = await waitForProposal(client, draft.draftId, after, o.json ? undefined : (e) => err(`  · ${e}`));
      const files = view.proposal ? writeDraftFiles(view, draft.out) : null;
      if (o.json) {
        out(JSON.stringify({ ...view, files }));
      } else {
        out(renderDraftSummary(view));
        if (files) {
          out(`\nwrote ${files.spec} and ${files.plan}`);
          out(`start it: longhaul start ${files.spec}`);
          out(`revise it: longhaul draft --revise "measure the production build instead"`);
        }
      }
      if (!view.proposal) process.exitCode = EXIT.notAchieved;
    });
  });

program
  .command('init')
  .description('write a commented example goal spec to edit by hand (or let `longhaul draft` propose one)')
  .argument('[file]', 'where to write it', 'goal.yaml')
  .action(async (file: string) => {
    const { writeExampleSpec } = await import('./draft');
    out(`wrote ${writeExampleSpec(file)}: edit it, then run \`longhaul start ${file}\``);
  });

program
  .command('status')
  .description("show a goal's phase, metrics, checks and budget")
  .argument('<goalId>')
  .option('--json', 'machine-readable output')
  .action(async (goalId: string, o: { json?: boolean }) => {
    await withClient(async (client) => {
      const s = await goalStatus(client, goalId);
      out(o.json ? JSON.stringify(s, null, 2) : formatStatus(s));
    });
  });

program
  .command('list')
  .description('list goals, newest first')
  .option('--limit <n>', 'at most this many', wholeNumber(1), 50)
  .addOption(new Option('--status <status>', 'only goals with this status').choices(GOAL_STATUSES))
  .option('--json', 'machine-readable output')
  .action(async (o: { limit: number; status?: GoalStatusName; json?: boolean }) => {
    await withClient(async (client) => {
      const goals = await listGoals(client, { limit: o.limit, ...(o.status ? { status: o.status } : {}) });
      out(o.json ? JSON.stringify(goals, null, 2) : formatList(goals));
    });
  });

program
  .command('cancel')
  .description('cancel a goal; it records `cancelled` and leaves the workspace and the store intact')
  .argument('<goalId>')
  .action(async (goalId: string) => {
    await withClient(async (client) => {
      await cancelGoal(client, goalId);
      err(`cancellation requested for ${goalId}`);
    });
  });

program
  .command('edit')
  .description('change a running goal; validated, applied at the next turn boundary, announced to the agent')
  .argument('<goalId>')
  .option('--objective <text>', 'new objective')
  .option('--guidance <text>', 'replace the spec guidance ("" clears it)')
  .option('--target <name=value...>', 'new target for a metric: build_seconds=-40% (relative) or score=10 (absolute)')
  .option('--max-turns <n>', 'new turn budget')
  .option('--max-tokens <n>', 'new token budget')
  .option('--max-hours <h>', 'new wall-clock budget in hours')
  .option('--max-cost <usd>', 'new model spend budget in US dollars (not below what is spent)')
  .option('--editable <glob...>', 'let the agent change a path the automatic protection covers (repeatable)')
  .option('--reason <text>', 'why; shown to the agent')
  .option('--file <edit>', 'an edit as YAML/JSON: objective, guidance, targets, checks, editable, budget, reason…')
  .option('--json', 'machine-readable output')
  .action(async (goalId: string, o: EditFlags & { json?: boolean }) => {
    const { editFromFlags } = await import('./spec-input');
    const { editGoal } = await import('./steer');
    const edit = editFromFlags(o);
    await withClient(async (client) => {
      const result = await editGoal(client, goalId, edit);
      out(
        o.json
          ? JSON.stringify(result)
          : `${goalId}: edit accepted as goal version ${result.goalVersion}, applies at the next turn boundary\n${result.changes.map((c) => `  - ${c}`).join('\n')}`,
      );
    });
  });

program
  .command('guide')
  .description("add guidance for the agent's next turn (also: temporal workflow signal --name guide)")
  .argument('<goalId>')
  .argument('<text...>', 'the guidance')
  .action(async (goalId: string, words: string[]) => {
    const { guideGoal } = await import('./steer');
    await withClient(async (client) => {
      await guideGoal(client, goalId, words.join(' '));
      err(`${goalId}: guidance sent; the agent gets it at its next turn`);
    });
  });

program
  .command('pause')
  .description('pause at the next turn boundary: the running tool call finishes, then no model calls until resume')
  .argument('<goalId>')
  .option('--reason <text>', 'why (shown in status)')
  .option('--json', 'machine-readable output')
  .action(async (goalId: string, o: { reason?: string; json?: boolean }) => {
    const { pauseGoal } = await import('./steer');
    await withClient(async (client) => {
      const r = await pauseGoal(client, goalId, o.reason);
      out(
        o.json
          ? JSON.stringify(r)
          : `${goalId}: paused (after turn ${r.turn}); \`longhaul resume ${goalId}\` continues it`,
      );
    });
  });

program
  .command('move')
  .description(
    'move a goal whose host is gone to another host: its goal branch is re-cloned there from the remote, and it continues from its last pushed milestone',
  )
  .argument('<goalId>')
  .requiredOption('--to <host>', "the new host (its worker's LONGHAUL_HOST)", hostArgument)
  .option('-w, --workspace <dir>', 'where the workspace goes on the new host (default: the same path); absent or empty')
  .option('--remote <url>', "the URL or path to clone from (default the goal's git.remote, if a URL)")
  .option('--json', 'machine-readable output')
  .action(async (goalId: string, o: { to: string; workspace?: string; remote?: string; json?: boolean }) => {
    const { moveGoal } = await import('./steer');
    await withClient(async (client) => {
      const request = {
        host: o.to,
        ...(o.workspace ? { workspace: path.resolve(o.workspace) } : {}),
        ...(o.remote ? { remote: o.remote } : {}),
      };
      if (!o.json) err(`moving ${goalId} to host ${o.to}: cloning its goal branch there…`);
      const r = await moveGoal(client, goalId, request);
      out(o.json ? JSON.stringify(r) : `${goalId}: ${r.text}`);
    });
  });

program
  .command('resume')
  .description('resume a paused goal where it stopped')
  .argument('<goalId>')
  .option('--json', 'machine-readable output')
  .action(async (goalId: string, o: { json?: boolean }) => {
    const { resumeGoal } = await import('./steer');
    await withClient(async (client) => {
      const r = await resumeGoal(client, goalId);
      out(o.json ? JSON.stringify(r) : `${goalId}: resumed at turn ${r.turn}`);
    });
  });

program
  .command('ask')
  .description('ask a side question about a running goal; answered from a snapshot, it never changes the run')
  .argument('<goalId>')
  .argument('<question...>')
  .option('--json', 'machine-readable output')
  .action(async (goalId: string, words: string[], o: { json?: boolean }) => {
    const { askGoal } = await import('./steer');
    await withClient(async (client) => {
      const r = await askGoal(client, goalId, words.join(' '));
      out(o.json ? JSON.stringify(r) : r.answer);
    });
  });

program
  .command('watch')
  .description('live view of a goal, redrawn when it changes, until it ends (exit 0 only if achieved)')
  .argument('<goalId>')
  .option('--interval <ms>', 'poll interval', wholeNumber(50), 1000)
  .option(
    '--json',
    'one JSON line per new event ({type:"event",seq,at,kind,text,turn,status,progress}), then {type:"end",outcome}',
  )
  .action(async (goalId: string, o: { interval: number; json?: boolean }) => {
    const { watchEvents, watchGoal } = await import('./watch');
    await withClient(async (client) => {
      const status = o.json
        ? await watchEvents(client, goalId, { intervalMs: o.interval, emit: (line) => out(JSON.stringify(line)) })
        : (
            await watchGoal(client, goalId, {
              intervalMs: o.interval,
              write: (t) => process.stdout.write(t),
              clear: Boolean(process.stdout.isTTY),
            })
          ).status;
      if (status !== 'achieved') process.exitCode = EXIT.notAchieved;
    });
  });

program
  .command('report')
  .description(
    "where a goal's progress document is (progress.md, progress.html); read from LONGHAUL_HOME, no server needed",
  )
  .argument('<goalId>')
  .addOption(new Option('--print', 'write the Markdown document to stdout (for a terminal or SSH)').conflicts('json'))
  .option('--json', 'machine-readable output: {markdown, html, exists, updatedAt}')
  .action(async (goalId: string, o: { print?: boolean; json?: boolean }) => {
    const { formatReport, progressReport, readProgressMarkdown, ProgressNotWrittenError } = await import('./report');
    const home = longhaulHome();
    if (o.print) {
      process.stdout.write(readProgressMarkdown(home, goalId));
      return;
    }
    const report = progressReport(home, goalId);
    if (o.json) out(JSON.stringify(report));
    if (!report.exists) throw new ProgressNotWrittenError(goalId, report, home);
    if (!o.json) out(formatReport(goalId, report));
  });

// slack-app: self-contained block (implementation in client/slack-app.ts and client/slack/).
program
  .command('slack-app')
  .description(
    'steer goals from Slack: buttons on each goal’s message and /longhaul (Socket Mode with SLACK_APP_TOKEN, else HTTP)',
  )
  .option('--port <port>', 'HTTP only: the port Slack’s requests come to (…/slack/events)', portNumber, 3000)
  .action(async (o: { port: number }) => {
    const { runSlackApp } = await import('./slack-app');
    await runSlackApp(o, err);
  });

program
  .command('doctor')
  .description("whether this machine can run goals: the agent's sandbox (bubblewrap) above all")
  .option('--json', 'machine-readable output')
  .action(async (o: { json?: boolean }) => {
    const { formatDoctor, runDoctor } = await import('./doctor');
    const report = runDoctor();
    out(o.json ? JSON.stringify(report) : formatDoctor(report));
    if (!report.sandbox.ok) process.exitCode = EXIT.error;
  });

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    process.exitCode = exitCodeFor(e);
  }
}

function exitCodeFor(e: unknown): number {
  const code = (e as { code?: string }).code;
  if (typeof code === 'string' && code.startsWith('commander.')) {
    return code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help'
      ? EXIT.ok
      : EXIT.usage;
  }
  if (!(e instanceof Error)) {
    err(`longhaul: ${String(e)}`);
    return EXIT.error;
  }
  const name = e.name;
  if (name === 'GoalEndedError') {
    err(`longhaul: ${e.message}`);
    return EXIT.ended;
  }
  // By name: the modules that define most of them load only with the commands that use them.
  if (
    [
      'InvalidSpecError',
      'InvalidEditError',
      'RejectedError',
      'TemporalCliNotFoundError',
      'SandboxUnavailableError',
    ].includes(name) ||
    e instanceof ConfigError
  ) {
    err(`longhaul: ${e.message}`);
    return EXIT.usage;
  }
  if (e instanceof TemporalUnreachableError) {
    err(`longhaul: ${e.message}`);
    return EXIT.unreachable;
  }
  if (name === 'ProgressNotWrittenError') {
    err(`longhaul: ${e.message}`);
    return EXIT.notFound;
  }
  if (e instanceof WorkflowNotFoundError) {
    err(`longhaul: no goal with that id (${e.message}): see \`longhaul list\``);
    return EXIT.notFound;
  }
  err(`longhaul: ${e.message}`);
  return EXIT.error;
}

void main();
