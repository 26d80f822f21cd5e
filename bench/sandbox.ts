/**
 * Benchmark 7 — sandbox: what the agent's bubblewrap sandbox adds to one shell call. The same small command (`true`,
 * and `git status`) through the shell tool's runShell, without and with the sandbox, interleaved; the sandboxed call
 * also pays for its plan (real paths, the protected files' existence), as the tool-call activity does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bwrapArgs, bwrapPath, probeSandbox, sandboxPlan } from '../activities/security/sandbox';
import { runShell } from '../activities/tools/shell';
import { gitWorkspace } from '../test/helpers/workspace';
import { commandFor, main, sized } from './lib/cli';
import { median, percentile } from './lib/stats';
import { figure, printReport } from './results';

/** One call's wall time in ms: `true` or `git status`, plain or sandboxed (plan included). */
async function call(command: string, ws: string, store: string, sandboxed: boolean, protectedFiles: string[]) {
  const t = performance.now();
  const plan = sandboxed
    ? sandboxPlan({ workspace: ws, longhaulHome: store, home: os.homedir(), protectedFiles })
    : undefined;
  const r = await runShell({
    command,
    cwd: ws,
    timeoutMs: 30_000,
    ...(plan ? { wrapper: { program: bwrapPath(), args: bwrapArgs(plan) } } : {}),
  });
  if (r.exitCode !== 0) throw new Error(`${command} failed (${sandboxed ? 'sandboxed' : 'plain'}): ${r.stderr}`);
  return performance.now() - t;
}

main(async () => {
  const started = Date.now();
  const runs = sized('runs', 200, 40);
  const probe = probeSandbox();
  if (!probe.ok) throw new Error(`no sandbox on this machine: ${probe.problem ?? ''}`);
  // A workspace with 20 protected files (each a read-only mount) and a goal store to hide.
  const files: Record<string, string> = { 'src/index.js': 'module.exports = 1;\n' };
  for (let i = 0; i < 20; i++) files[`test/case-${i}.test.js`] = `// ${i}\n`;
  const ws = gitWorkspace(files);
  const store = mkdtempSync(path.join(os.tmpdir(), 'longhaul-bench-store-'));
  const protectedFiles = Object.keys(files).filter((f) => f.startsWith('test/'));
  const t = { plainTrue: [] as number[], boxTrue: [] as number[], plainGit: [] as number[], boxGit: [] as number[] };
  try {
    for (let i = 0; i < 5; i++) await call('true', ws, store, true, protectedFiles); // warm-up
    for (let i = 0; i < runs; i++) {
      // Interleaved, alternating which goes first, so a shared machine's noise falls on both alike.
      const order = i % 2 === 0 ? [false, true] : [true, false];
      for (const boxed of order)
        (boxed ? t.boxTrue : t.plainTrue).push(await call('true', ws, store, boxed, protectedFiles));
      for (const boxed of order)
        (boxed ? t.boxGit : t.plainGit).push(await call('git status --short', ws, store, boxed, protectedFiles));
    }
  } finally {
    rmSync(store, { recursive: true, force: true });
    rmSync(ws, { recursive: true, force: true });
  }
  const pairs = (a: number[], b: number[]) => a.map((x, i) => x - (b[i] ?? 0));
  const added = median(pairs(t.boxTrue, t.plainTrue));
  printReport({
    name: 'sandbox',
    title: '7. Sandbox: added time per shell call',
    command: commandFor('sandbox'),
    size: `${runs} calls of each kind, interleaved; ${probe.version ?? 'bwrap'}; 20 protected files mounted read-only`,
    figures: [
      figure('added per shell call (`true`, median of pairs)', added, 'ms', { text: '≤ 20 ms', ok: added <= 20 }),
      figure('added per shell call (`true`, p90 of pairs)', percentile(pairs(t.boxTrue, t.plainTrue), 90), 'ms'),
      figure('`true` unsandboxed (median)', median(t.plainTrue), 'ms'),
      figure('`true` sandboxed (median)', median(t.boxTrue), 'ms'),
      figure('added per `git status` (median of pairs)', median(pairs(t.boxGit, t.plainGit)), 'ms'),
    ],
    details: [],
    seconds: (Date.now() - started) / 1000,
  });
});
