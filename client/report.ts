/**
 * `longhaul report`: where a goal's progress document is, read straight from LONGHAUL_HOME on this machine
 * (no Temporal connection), so it answers at once and works over SSH. The pages are host-local files: run it on
 * the worker's host, whichever goal store the worker uses.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { progressPaths, reportPaths } from '../common/goal-files';

export interface ProgressReport {
  readonly markdown: string;
  readonly html: string;
  /** Whether the document has been written (the worker writes it after each measurement). */
  readonly exists: boolean;
  /** When the Markdown file was last written (ISO), or null. */
  readonly updatedAt: string | null;
  /** The final report (REPORT.md, report.html), written when the goal ends; null before. */
  readonly final: { readonly markdown: string; readonly html: string } | null;
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
  const paths = progressPaths(home, goalId);
  const exists = existsSync(paths.markdown);
  const final = reportPaths(home, goalId);
  return {
    ...paths,
    exists,
    updatedAt: exists ? statSync(paths.markdown).mtime.toISOString() : null,
    final: existsSync(final.markdown) ? final : null,
  };
}

/** The final report once the goal has ended, else the progress document; throws ProgressNotWrittenError if neither. */
export function readProgressMarkdown(home: string, goalId: string): string {
  const report = progressReport(home, goalId);
  if (!report.exists && !report.final) throw new ProgressNotWrittenError(goalId, report, home);
  try {
    return readFileSync(report.final?.markdown ?? report.markdown, 'utf8');
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
    ...(report.final
      ? [`final report:`, `  markdown  ${report.final.markdown}`, `  html      ${report.final.html}`]
      : []),
    `open the HTML in a browser, or \`longhaul report ${goalId} --print\` for the Markdown in this terminal${report.final ? ' (the final report)' : ''}`,
  ].join('\n');
}
