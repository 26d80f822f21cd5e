/**
 * An MCP server as this host runs it: the goal spec's entry resolved on the worker (`${NAME}` references read from
 * the worker's environment, the stdio command wrapped in the goal's sandbox), and a key that is the same for every
 * goal and turn whose resolved server is the same, so they share one running server.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { envReferences, type McpServerSpec } from '../../../goal/mcp';
import { commandEnv } from '../../security/command-env';
import { bwrapArgs, bwrapPath, probeSandbox, type SandboxPlan } from '../../security/sandbox';

/** What a server is resolved against: the goal's workspace, its sandbox on this host, its env.allow. */
export interface ServerContext {
  readonly workspace: string;
  /** The goal's sandbox on this host; none for `sandbox: off` (and ignored for a server with `sandbox: off`). */
  readonly sandbox?: SandboxPlan;
  /** The spec's env.allow: credential-like variables of the worker the server keeps, as the shell does. */
  readonly allowEnv?: readonly string[];
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

export interface ResolvedServer {
  readonly name: string;
  /** A digest of everything that makes the running server what it is (secrets included, so only their hash). */
  readonly key: string;
  /** How the server is started, as the spec wrote it (references unresolved): for messages. */
  readonly display: string;
  /** A tool call (and the start) that takes longer fails. */
  readonly timeoutMs: number;
  readonly kind: 'stdio' | 'http';
  /** A fresh transport to the server (stdio: a new process once the client connects). */
  transport(): Transport;
}

/**
 * Thrown when a server cannot be started on this host for a reason only the user can fix: a variable it refers to
 * is not set on the worker, the sandbox cannot be built. The message names the server and the fix.
 */
export class McpServerUnavailableError extends Error {
  override readonly name = 'McpServerUnavailableError';
  constructor(
    readonly server: string,
    message: string,
  ) {
    super(message);
  }
}

/** Extra environment of a stdio server, as of the shell: nothing may wait for a terminal or a pager. */
const NON_INTERACTIVE_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', PAGER: 'cat' } as const;

/** `${NAME}` replaced by the worker's NAME; a name the worker has not set makes the server unavailable. */
function resolveValue(server: string, value: string, env: NodeJS.ProcessEnv, where: string): string {
  for (const name of envReferences(value)) {
    if (env[name] === undefined) {
      throw new McpServerUnavailableError(
        server,
        `MCP server "${server}": ${where} refers to \${${name}}, which is not set on the worker: export ${name} in the worker's environment and restart it`,
      );
    }
  }
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => env[name] ?? '');
}

function digest(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

function quoted(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The server of `spec` on this host. Throws McpServerUnavailableError when it cannot be started here. */
export function resolveServer(spec: McpServerSpec, ctx: ServerContext): ResolvedServer {
  const env = ctx.env ?? process.env;
  const timeoutMs = spec.timeoutSeconds * 1000;
  if (spec.url !== undefined) {
    const headers = Object.fromEntries(
      Object.entries(spec.headers ?? {}).map(([k, v]) => [k, resolveValue(spec.name, v, env, `header ${k}`)]),
    );
    const url = new URL(spec.url);
    return {
      name: spec.name,
      key: digest(['http', spec.url, headers]),
      display: spec.url,
      timeoutMs,
      kind: 'http',
      transport: () => new StreamableHTTPClientTransport(url, { requestInit: { headers } }),
    };
  }
  const command = spec.command ?? '';
  const args = (spec.args ?? []).map((a, i) => resolveValue(spec.name, a, env, `args[${i}]`));
  const extra = Object.fromEntries(
    Object.entries(spec.env ?? {}).map(([k, v]) => [k, resolveValue(spec.name, v, env, `env.${k}`)]),
  );
  const sandbox = spec.sandbox === undefined ? ctx.sandbox : undefined;
  const cwd = path.resolve(sandbox?.workspace ?? ctx.workspace, spec.cwd ?? '.');
  // The shell's environment (the worker's, less its credentials), then the spec's own variables.
  const base = commandEnv(
    sandbox ? { ...NON_INTERACTIVE_ENV, TMPDIR: '/tmp' } : NON_INTERACTIVE_ENV,
    env,
    ctx.allowEnv,
  );
  const serverEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...base, ...extra })) if (v !== undefined) serverEnv[k] = v;
  if (sandbox) {
    const probe = probeSandbox();
    if (!probe.ok) {
      throw new McpServerUnavailableError(
        spec.name,
        `MCP server "${spec.name}" runs in the goal's sandbox, and this worker host cannot build one: ${probe.problem ?? ''} (or give the server sandbox: off)`,
      );
    }
  }
  // In the sandbox the server sees what the shell sees; bwrap's --die-with-parent ends it with its worker.
  const program = sandbox ? bwrapPath(env) : command;
  const wrap = sandbox ? bwrapArgs(sandbox) : [];
  // bwrapArgs ends in `--chdir <workspace>`: the server starts in its own cwd instead.
  const argv = sandbox ? [...wrap.slice(0, wrap.lastIndexOf('--chdir')), '--chdir', cwd, '--', command, ...args] : args;
  return {
    name: spec.name,
    key: digest(['stdio', program, argv, serverEnv, cwd]),
    display: [command, ...(spec.args ?? [])].map(quoted).join(' '),
    timeoutMs,
    kind: 'stdio',
    transport: () => new StdioClientTransport({ command: program, args: argv, env: serverEnv, cwd, stderr: 'pipe' }),
  };
}
