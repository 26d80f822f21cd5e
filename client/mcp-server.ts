/**
 * `longhaul mcp`: Longhaul as an MCP server on stdio, so another agent (Claude Code, Codex) can hand a long goal to
 * Longhaul and check on it later. Tools start, read and steer goals (client/mcp/goal-tools.ts, steer-tools.ts);
 * resources are each goal's progress document and report (client/mcp/resources.ts). stdout carries the protocol
 * only: everything else goes to stderr.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { loadTemporalConfig, longhaulHome } from '../common/temporal-config';
import { createMcpContext } from './mcp/context';
import { registerGoalTools } from './mcp/goal-tools';
import { registerGoalResources } from './mcp/resources';
import { registerSteerTools } from './mcp/steer-tools';

export interface McpServerOptions {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** What relative paths in tool arguments are relative to. @default process.cwd() */
  readonly cwd?: string;
  /** Operator messages (never stdout). */
  readonly log: (text: string) => void;
}

const INSTRUCTIONS =
  'Longhaul runs long coding goals durably, on Temporal: an agent works in a git workspace until the orchestrator ' +
  'verifies the exit criteria (metrics with targets, checks that must pass, a checklist), the budget runs out, or it ' +
  'is cancelled. Use start_goal for work that takes long or must be verified, then goal_status now and then; ' +
  'guide_goal, ask_goal, pause_goal, resume_goal, edit_goal and cancel_goal steer it. Each goal has a progress ' +
  'document (longhaul://goals/{goalId}/progress) and, once ended, a final report (longhaul://goals/{goalId}/report).';

/** Serves until the client closes stdin (or SIGINT/SIGTERM), then closes the Temporal connection. */
export async function runMcpServer(opts: McpServerOptions): Promise<void> {
  const env = opts.env ?? process.env;
  const config = loadTemporalConfig(env); // bad settings stop the server at once, naming the fix
  const ctx = createMcpContext({ config, home: longhaulHome(env), cwd: opts.cwd ?? process.cwd(), log: opts.log, env });
  // A library writing to stdout would corrupt the protocol: console output goes to stderr.
  console.log = console.info = console.debug = console.error;

  const server = new McpServer({ name: 'longhaul', version: packageVersion() }, { instructions: INSTRUCTIONS });
  registerGoalTools(server, ctx);
  registerSteerTools(server, ctx);
  registerGoalResources(server, ctx);

  const transport = new StdioServerTransport();
  const closed = new Promise<string>((resolve) => {
    process.stdin.once('end', () => resolve('the client closed stdin'));
    process.stdin.once('close', () => resolve('the client closed stdin'));
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    transport.onclose = () => resolve('the transport closed');
  });
  await server.connect(transport);
  opts.log(
    `longhaul mcp: serving on stdio (Temporal ${config.address}, namespace ${config.namespace}, task queue ` +
      `${config.taskQueue}, host ${config.host}, LONGHAUL_HOME ${ctx.home}, relative paths from ${ctx.cwd})`,
  );
  const why = await closed;
  opts.log(`longhaul mcp: stopping (${why})`);
  await server.close().catch(() => undefined);
  await ctx.close();
}

/** Longhaul's version, for the MCP handshake: from package.json above client/ (sources) or dist/client/ (built). */
function packageVersion(): string {
  for (const root of [path.join(__dirname, '..'), path.join(__dirname, '..', '..')]) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'longhaul' && pkg.version) return pkg.version;
    } catch {
      // not this folder
    }
  }
  return '0.0.0';
}
