/**
 * `longhaul report`: where a goal's progress document is, read straight from the goal store on this machine
 * (no Temporal connection), so it answers at once and works over SSH.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { progressPaths } from '../activities/progress/write';
import { GoalStore } from '../activities/store';

export interface ProgressReport {
  readonly markdown: string;
  readonly html: string;
  /** Whether the document has been written (the worker writes it after each measurement). */
  readonly exists: boolean;
  /** When the Markdown file was last written (ISO), or null. */
  readonly updatedAt: string | null;
}

/** Thrown when a goal has no progress document under this LONGHAUL_HOME. */
export class ProgressNotWrittenError extends Error {
  override readonly name = 'ProgressNotWrittenError';
  constructor(
    readonly goalId: string,
    readonly report: ProgressReport,
    readonly home: string,
  ) {
    super(
      `no progress document for ${goalId} at ${report.markdown}: either the goal has not been measured yet (it is written after the baseline), ` +
        `or the worker uses another LONGHAUL_HOME than ${home} (set LONGHAUL_HOME to the worker's, and check the id with \`longhaul list\`)`,
    );
  }
}

/** The progress document's paths under `home`, and whether it exists yet. */
export function progressReport(home: string, goalId: string): ProgressReport {
  const paths = progressPaths(new GoalStore(home), goalId);
  const exists = existsSync(paths.markdown);
  return { ...paths, exists, updatedAt: exists ? statSync(paths.markdown).mtime.toISOString() : null };
}

/** The Markdown document; throws ProgressNotWrittenError when it has not been written. */
export function readProgressMarkdown(home: string, goalId: string): string {
  const report = progressReport(home, goalId);
  if (!report.exists) throw new ProgressNotWrittenError(goalId, report, home);
  try {
    return readFileSync(report.markdown, 'utf8');
  } catch (err) {
    // Removed between the check and the read (e.g. the goal's folder was cleaned up).
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ProgressNotWrittenError(goalId, report, home);
    throw err;
  }
}

/** What `longhaul report` prints without --print or --json. */
export function formatReport(goalId: string, report: ProgressReport): string {
  return [
    `progress document of ${goalId} (updated ${report.updatedAt ?? '?'}):`,
    `  markdown  ${report.markdown}`,
    `  html      ${report.html}`,
    `open the HTML in a browser, or \`longhaul report ${goalId} --print\` for the Markdown in this terminal`,
  ].join('\n');
}
