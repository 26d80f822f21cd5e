/**
 * `npm run bench`: runs every benchmark as its own process (one after the other: they time things), collects their
 * reports and rewrites bench/RESULTS.md. `--quick` passes on; `--only=overhead,cli` picks benchmarks.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flag, main, QUICK } from './lib/cli';
import { machine, renderResults, RESULT_MARK, type BenchReport } from './results';

export const BENCHMARKS = [
  'overhead',
  'concurrency',
  'recovery',
  'context',
  'verification',
  'cli',
  'sandbox',
  'dashboard',
] as const;

const RESULTS = path.resolve(__dirname, '..', '..', '..', 'bench', 'RESULTS.md');

function runOne(name: string): Promise<{ report: BenchReport | null; error: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--enable-source-maps', path.join(__dirname, `${name}.js`), ...(QUICK ? ['--quick'] : [])],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString();
      out += text;
      process.stdout.write(
        text
          .split('\n')
          .filter((l) => !l.startsWith(RESULT_MARK))
          .join('\n'),
      );
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      process.stderr.write(d);
    });
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_MARK));
      const report = line ? (JSON.parse(line.slice(RESULT_MARK.length)) as BenchReport) : null;
      resolve({ report, error: report ? '' : `exit ${code}: ${err.trim().split('\n').slice(-3).join(' ')}` });
    });
  });
}

main(async () => {
  const started = Date.now();
  const only = flag('only')?.split(',');
  const m = machine();
  const reports: BenchReport[] = [];
  const failures: { name: string; error: string }[] = [];
  for (const name of BENCHMARKS.filter((b) => !only || only.includes(b))) {
    console.error(`\n=== ${name} ===`);
    const { report, error } = await runOne(name);
    if (report) reports.push(report);
    else failures.push({ name, error });
  }
  const conditions =
    process.env.BENCH_CONDITIONS ?? (os.loadavg()[0]! > 0.5 ? `load average ${m.loadAverage} at start` : undefined);
  writeFileSync(
    RESULTS,
    renderResults(reports, {
      date: new Date().toISOString(),
      command: `npm run bench${QUICK ? ' -- --quick' : ''}${only ? ` -- --only=${only.join(',')}` : ''}`,
      machine: m,
      ...(conditions ? { conditions } : {}),
      totalSeconds: (Date.now() - started) / 1000,
      failures,
    }),
  );
  console.error(`\nwrote ${RESULTS} (${((Date.now() - started) / 60000).toFixed(1)} min)`);
  if (failures.length > 0) process.exitCode = 1;
});
