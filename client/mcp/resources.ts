/**
 * The MCP resources: each goal's progress document and final report (Markdown), read from LONGHAUL_HOME on this
 * machine as `longhaul report` does, so they need no Temporal server. Listed from the goal folders there, newest first.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Resource } from '@modelcontextprotocol/sdk/types.js';
import { goalsDir, PROGRESS_FILES, REPORT_FILES } from '../../common/goal-files';
import { progressReport, ProgressNotWrittenError } from '../report';
import type { McpContext } from './context';

/** At most this many goals are listed (the newest); any other goal's document is still readable by its URI. */
const MAX_LISTED = 100;

/** Thrown when a goal has no final report yet: it is written when the goal ends. */
export class ReportNotWrittenError extends Error {
  override readonly name = 'ReportNotWrittenError';
  constructor(readonly goalId: string) {
    super(
      `no final report for ${goalId} yet: it is written when the goal ends (see goal_status); until then read ` +
        `longhaul://goals/${encodeURIComponent(goalId)}/progress`,
    );
  }
}

export const progressUri = (goalId: string) => `longhaul://goals/${encodeURIComponent(goalId)}/progress`;
export const reportUri = (goalId: string) => `longhaul://goals/${encodeURIComponent(goalId)}/report`;

/** Goal ids under `home` whose folder holds `file`, newest first. */
function goalsWith(home: string, file: string): { goalId: string; updatedAt: Date }[] {
  let names: string[];
  try {
    names = readdirSync(goalsDir(home));
  } catch {
    return []; // no goal has written anything under this LONGHAUL_HOME yet
  }
  const found: { goalId: string; updatedAt: Date }[] = [];
  for (const name of names) {
    const doc = path.join(goalsDir(home), name, file);
    if (existsSync(doc)) found.push({ goalId: name, updatedAt: statSync(doc).mtime });
  }
  return found.sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime()).slice(0, MAX_LISTED);
}

function goalIdOf(variables: Record<string, string | string[]>): string {
  const raw = variables.goalId;
  return decodeURIComponent(Array.isArray(raw) ? raw.join(',') : (raw ?? ''));
}

function markdown(uri: URL, file: string) {
  return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: readFileSync(file, 'utf8') }] };
}

export function registerGoalResources(server: McpServer, ctx: McpContext): void {
  const listed = (file: string, uri: (id: string) => string, what: string) => () => ({
    resources: goalsWith(ctx.home, file).map(({ goalId, updatedAt }): Resource => ({
      uri: uri(goalId),
      name: `${goalId} ${what}`,
      mimeType: 'text/markdown',
      description: `${what} of goal ${goalId}, updated ${updatedAt.toISOString()}`,
    })),
  });

  server.registerResource(
    'progress',
    new ResourceTemplate('longhaul://goals/{goalId}/progress', {
      list: listed(PROGRESS_FILES.markdown, progressUri, 'progress document'),
    }),
    {
      title: 'Goal progress document',
      description:
        "A goal's progress document (Markdown): its criteria with baseline, best and latest values, the budget, the " +
        'milestones and recent events; rewritten after each measurement and hourly.',
      mimeType: 'text/markdown',
    },
    (uri, variables) => {
      const goalId = goalIdOf(variables);
      const report = progressReport(ctx.home, goalId);
      try {
        return markdown(uri, report.markdown);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new ProgressNotWrittenError(goalId, report, ctx.home);
        }
        throw err;
      }
    },
  );

  server.registerResource(
    'report',
    new ResourceTemplate('longhaul://goals/{goalId}/report', {
      list: listed(REPORT_FILES.markdown, reportUri, 'final report'),
    }),
    {
      title: 'Goal final report',
      description:
        "A goal's final report (Markdown), written when it ends: the outcome, each criterion verified, what was " +
        'tried, what worked and what did not, the clean-up.',
      mimeType: 'text/markdown',
    },
    (uri, variables) => {
      const goalId = goalIdOf(variables);
      const final = progressReport(ctx.home, goalId).final;
      if (!final) throw new ReportNotWrittenError(goalId);
      try {
        return markdown(uri, final.markdown);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ReportNotWrittenError(goalId);
        throw err;
      }
    },
  );
}
