/** The `longhaul` command line. Human output by default, `--json` for scripts, meaningful exit codes. */
import { WorkflowNotFoundError } from '@temporalio/client';
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { InvalidSpecError } from '../goal/spec';
import { ConfigError, loadTemporalConfig, longhaulHome } from '../worker/config';
import { runWorker } from '../worker/main';
import { connectClient, TemporalUnreachableError } from './connect';
import { prepareDemo } from './demo';
import { runDev } from './dev';
import { EXIT } from './exit-codes';
import { formatList, formatStatus } from './format';
import { cancelGoal, goalStatus, listGoals, startGoal, waitForGoal } from './goals';
import { finalizeSpec, inlineSpec, readSpecFile, type InlineGoalOptions } from './spec-input';
import { TemporalCliNotFoundError } from './temporal-cli';

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

const program = new Command('longhaul')
  .description('Durable goal mode for coding agents, on Temporal')
  .showHelpAfterError()
  .exitOverride();

program
  .command('dev')
  .description('run the embedded Temporal dev server (SQLite under LONGHAUL_HOME, Web UI) and a worker')
  .option('--port <port>', 'Temporal gRPC port', '7233')
  .option('--ui-port <port>', 'Web UI port (default: port + 1000)')
  .option('--goal <spec>', 'start this goal spec once the worker runs')
  .option('--exit-when-done', 'stop when that goal ends; exit code 0 only if it was achieved')
  .action(async (o: { port: string; uiPort?: string; goal?: string; exitWhenDone?: boolean }) => {
    const goal = o.goal ? finalizeSpec(readSpecFile(o.goal)) : undefined;
    const status = await runDev({
      port: Number(o.port),
      ...(o.uiPort ? { uiPort: Number(o.uiPort) } : {}),
      ...(goal ? { goal } : {}),
      exitWhenDone: Boolean(o.exitWhenDone),
      log: err,
    });
    if (status !== null && status !== 'achieved') process.exitCode = EXIT.notAchieved;
  });

program
  .command('demo')
  .description('create a small repository with a failing test and run a goal on it with `dev` (needs a model)')
  .option('--port <port>', 'Temporal gRPC port', '7233')
  .option('--ui-port <port>', 'Web UI port (default: port + 1000)')
  .action(async (o: { port: string; uiPort?: string }) => {
    const goal = prepareDemo(longhaulHome());
    err(`demo workspace: ${goal.workspace}`);
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
    await runWorker();
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
  .option('--model <name>', 'model name (default LONGHAUL_MODEL or gpt-5.1)')
  .addOption(new Option('--model-api <api>', 'wire API of the model server').choices(['responses', 'chat']))
  .option('--id <goalId>', 'goal id (default: derived from the objective)')
  .option('--wait', 'block until the goal ends; exit 0 only if achieved')
  .option('--json', 'machine-readable output')
  .action(async (arg: string, o: InlineGoalOptions & { id?: string; wait?: boolean; json?: boolean }) => {
    const isFile = /\.(ya?ml|json)$/i.test(arg) && existsSync(arg);
    const spec = finalizeSpec(isFile ? readSpecFile(arg) : inlineSpec(arg, o));
    const config = loadTemporalConfig();
    await withClient(async (client) => {
      const handle = await startGoal(client, spec, { taskQueue: config.taskQueue, ...(o.id ? { goalId: o.id } : {}) });
      if (!o.wait) {
        out(o.json ? JSON.stringify({ goalId: handle.workflowId }) : handle.workflowId);
        return;
      }
      if (!o.json) err(`started ${handle.workflowId}; waiting for it to end (Ctrl-C stops waiting, not the goal)`);
      const result = await waitForGoal(client, handle.workflowId);
      out(
        o.json
          ? JSON.stringify({ goalId: handle.workflowId, ...result })
          : `${handle.workflowId} ${result.status}: ${result.reason}`,
      );
      if (result.status !== 'achieved') process.exitCode = EXIT.notAchieved;
    });
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
  .option('--limit <n>', 'at most this many', '50')
  .option('--json', 'machine-readable output')
  .action(async (o: { limit: string; json?: boolean }) => {
    await withClient(async (client) => {
      const goals = await listGoals(client, { limit: Number(o.limit) });
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
  if (e instanceof InvalidSpecError || e instanceof ConfigError || e instanceof TemporalCliNotFoundError) {
    err(`longhaul: ${e.message}`);
    return EXIT.usage;
  }
  if (e instanceof TemporalUnreachableError) {
    err(`longhaul: ${e.message}`);
    return EXIT.unreachable;
  }
  if (e instanceof WorkflowNotFoundError) {
    err(`longhaul: no goal with that id (${e.message}): see \`longhaul list\``);
    return EXIT.notFound;
  }
  err(`longhaul: ${e instanceof Error ? e.message : String(e)}`);
  return EXIT.error;
}

void main();
