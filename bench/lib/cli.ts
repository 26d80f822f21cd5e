/** Command-line conventions shared by the benchmark scripts. */

/** `--quick` or BENCH_QUICK=1: a smaller size for a quick check. */
export const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';

/** `--name=value` from the command line, else undefined. */
export function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/** A numeric `--name=value`, else `quick` or `full` by the size asked for. */
export function sized(name: string, full: number, quick: number): number {
  const v = flag(name);
  return v !== undefined ? Number(v) : QUICK ? quick : full;
}

/** The command that reproduces a benchmark's figures at the size it ran. */
export function commandFor(script: string): string {
  const extra = process.argv.slice(2).filter((a) => a !== '--quick');
  return [`npm run bench:${script} --`, ...(QUICK ? ['--quick'] : []), ...extra].join(' ').replace(/ --$/, '');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs a benchmark's main function, exiting non-zero with the error when it throws. */
export function main(fn: () => Promise<void>): void {
  fn().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exit(1);
    },
  );
}
