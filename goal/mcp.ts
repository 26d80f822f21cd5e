/**
 * The goal spec's `mcp`: MCP tool servers whose tools the agent gets next to the built-in ones, each offered as
 * `<server>__<tool>`. Pure: the schema, the tool-name convention, and the activity input fields the workflow passes
 * (activities/tools/mcp/ runs the servers). Spec values land in workflow history, so secrets are written as
 * `${NAME}` references, resolved from the worker's environment on the worker.
 */
import { z } from 'zod';
import { sandboxInputOf, type SandboxInput, type SandboxSpec } from './sandbox';
import { WORKER_SECRET_NAME } from './secret-names';

/** Between the server's name and the tool's in the name the model sees: `github__search_issues`. */
export const MCP_SEPARATOR = '__';

/**
 * The failure type of an activity that needed an MCP server this host cannot start: the goal says it needs attention
 * and waits (workflows/turn.ts) instead of spending turns on it.
 */
export const MCP_UNAVAILABLE = 'McpServerUnavailable';

/** Limits of the `mcp` section. */
export const MCP_LIMITS = {
  servers: 20,
  nameChars: 32,
  /** Upper bound of a server's timeoutSeconds (a shell call's too). */
  maxTimeoutSeconds: 3600,
  defaultTimeoutSeconds: 300,
} as const;

/** `${NAME}` in a value: the worker's variable NAME. */
const REFERENCE = /\$\{([^}]*)\}/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** The variable names a value refers to as `${NAME}`, in order. */
export function envReferences(value: string): string[] {
  return [...value.matchAll(REFERENCE)].map((m) => m[1] ?? '');
}

/** A value that may refer to the worker's environment: each `${NAME}` a variable name, none of the worker's own keys. */
const referencingValue = z
  .string()
  .max(4096, 'keep a value under 4096 characters')
  .refine((v) => !v.includes('\0'), 'a value must not contain a NUL byte')
  .superRefine((value, ctx) => {
    for (const name of envReferences(value)) {
      if (!VARIABLE_NAME.test(name)) {
        ctx.addIssue({
          code: 'custom',
          message: `"\${${name}}" is not a reference to an environment variable: write \${NAME}, NAME of letters, digits and "_"`,
        });
      } else if (WORKER_SECRET_NAME.test(name)) {
        ctx.addIssue({
          code: 'custom',
          message: `\${${name}} is one of the worker's own credentials (model, Slack, Temporal, encryption keys): it is never handed to an MCP server`,
        });
      }
    }
    if (value.replace(REFERENCE, '').includes('${')) {
      ctx.addIssue({
        code: 'custom',
        message: 'an unterminated "${": write ${NAME} to use the worker\'s variable NAME',
      });
    }
  });

const serverName = z
  .string()
  .regex(
    new RegExp(`^[A-Za-z][A-Za-z0-9_-]{0,${MCP_LIMITS.nameChars - 1}}$`),
    `an MCP server name takes letters, digits, "_" and "-" (max ${MCP_LIMITS.nameChars}), starting with a letter, e.g. github`,
  )
  .refine(
    (n) => !n.includes(MCP_SEPARATOR) && !n.endsWith('_'),
    `an MCP server name may not contain "${MCP_SEPARATOR}" or end with "_": its tools are offered as NAME${MCP_SEPARATOR}TOOL`,
  );

export const mcpServerSpec = z
  .object({
    name: serverName.describe('names the server; its tools are offered to the model as NAME__TOOL'),
    command: z
      .string()
      .trim()
      .min(1, 'command must name the program that starts the server, e.g. npx')
      .refine((c) => !c.includes('\0'), 'command must not contain a NUL byte')
      .refine((c) => !c.includes('${'), 'command cannot refer to the environment: put ${NAME} in args or env')
      .optional()
      .describe('a stdio server: the program to start (no shell), e.g. npx or node'),
    args: z.array(referencingValue).max(200).optional().describe("its arguments; ${NAME} is the worker's variable"),
    env: z
      .record(
        z
          .string()
          .regex(
            VARIABLE_NAME,
            'an environment variable name takes letters, digits and "_", not starting with a digit',
          ),
        referencingValue,
      )
      .optional()
      .describe(
        "extra environment of the server; write secrets as ${NAME} (resolved from the worker's environment), never literally",
      ),
    cwd: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe("the server's working directory: relative to the workspace (the default), or absolute"),
    sandbox: z
      .union([z.literal('off'), z.literal(false)], {
        error: "an MCP server's sandbox can only be turned off: sandbox: off",
      })
      .optional()
      .describe("off: this server runs with the worker's rights, outside the goal's sandbox"),
    url: z
      .url({ protocol: /^https?$/, error: 'url must be an http(s) URL of a streamable HTTP MCP endpoint' })
      .optional()
      .describe('a streamable HTTP server: its endpoint, e.g. http://127.0.0.1:3000/mcp'),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not an HTTP header name'), referencingValue)
      .optional()
      .describe('HTTP headers sent to a url server, e.g. Authorization: "Bearer ${MCP_TOKEN}"'),
    timeoutSeconds: z
      .int()
      .min(1)
      .max(MCP_LIMITS.maxTimeoutSeconds)
      .default(MCP_LIMITS.defaultTimeoutSeconds)
      .describe('a tool call (and the server start) that takes longer fails with a timeout'),
  })
  .strict()
  .superRefine((s, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (s.command !== undefined && s.url !== undefined) {
      issue('url', 'an MCP server has either a command (stdio) or a url (streamable HTTP), not both: remove one');
    } else if (s.command === undefined && s.url === undefined) {
      issue('command', 'an MCP server needs a command (stdio, e.g. command: npx) or a url (streamable HTTP)');
    }
    if (s.url !== undefined) {
      for (const field of ['args', 'env', 'cwd', 'sandbox'] as const) {
        if (s[field] !== undefined)
          issue(field, `${field} is for a stdio server (command): a url server takes headers`);
      }
    }
    if (s.command !== undefined && s.headers !== undefined) {
      issue('headers', 'headers are for a url server: a stdio server (command) takes env');
    }
  });
export type McpServerSpec = z.infer<typeof mcpServerSpec>;

export const mcpSpec = z
  .array(mcpServerSpec)
  .max(MCP_LIMITS.servers, `at most ${MCP_LIMITS.servers} MCP servers`)
  .superRefine((servers, ctx) => {
    const seen = new Set<string>();
    servers.forEach((s, i) => {
      const key = s.name.toLowerCase();
      if (seen.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'name'],
          message: `duplicate MCP server name "${s.name}": each server needs its own name (its tools are ${s.name}${MCP_SEPARATOR}TOOL)`,
        });
      }
      seen.add(key);
    });
  })
  .describe('MCP tool servers: stdio ({ name, command, args, env, cwd }) or streamable HTTP ({ name, url })');

/** A name the model calls: the server's and the tool's, or null when it is not an MCP tool's name. */
export function parseMcpToolName(name: string): { readonly server: string; readonly tool: string } | null {
  const at = name.indexOf(MCP_SEPARATOR);
  if (at <= 0 || at + MCP_SEPARATOR.length >= name.length) return null;
  return { server: name.slice(0, at), tool: name.slice(at + MCP_SEPARATOR.length) };
}

/** Whether a tool name is an MCP server's (`server__tool`); built-in tool names never contain `__`. */
export function isMcpToolName(name: string): boolean {
  return parseMcpToolName(name) !== null;
}

/** What the tool-call activity is told of the goal's MCP servers: absent without any. */
export interface McpInput {
  readonly mcp?: readonly McpServerSpec[];
}

/** What the model turn needs to offer the servers' tools: the servers, and the sandbox and env.allow they start with. */
export interface McpTurnInput extends McpInput, SandboxInput {
  readonly allowEnv?: readonly string[];
}

type McpSpecPart = {
  readonly mcp?: readonly McpServerSpec[] | undefined;
  readonly env?: { readonly allow: readonly string[] } | undefined;
  readonly sandbox?: SandboxSpec | undefined;
  readonly holdout: readonly { readonly command: string }[];
};

/** The spec's servers as a tool-call input field; absent without any, so other goals' inputs stay as they were. */
export function mcpInputOf(spec: Pick<McpSpecPart, 'mcp'>): McpInput {
  return spec.mcp && spec.mcp.length > 0 ? { mcp: spec.mcp } : {};
}

/**
 * The model turn's input fields for the spec's servers: the servers with the sandbox and env.allow a server starts
 * with (the same as for a tool call, so both find the same running server); absent without any.
 */
export function mcpTurnInputOf(spec: McpSpecPart): McpTurnInput {
  if (!spec.mcp || spec.mcp.length === 0) return {};
  return {
    mcp: spec.mcp,
    ...(spec.env && spec.env.allow.length > 0 ? { allowEnv: spec.env.allow } : {}),
    ...sandboxInputOf(spec),
  };
}
