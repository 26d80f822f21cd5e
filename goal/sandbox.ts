/**
 * The goal spec's `sandbox`: what the agent's shell may reach beyond its workspace. Pure: the schema, and the
 * activity input field the workflow passes to the tool call (activities/security/sandbox.ts builds the sandbox).
 */
import { z } from 'zod';

/** A path the sandbox exposes: absolute, or `~/…` (the worker's home). */
const sandboxPath = z
  .string()
  .trim()
  .min(1, 'a sandbox path must not be empty')
  .max(4096)
  .refine((p) => !p.includes('\0'), 'a sandbox path must not contain a NUL byte')
  .refine(
    (p) => p.startsWith('/') || p === '~' || p.startsWith('~/'),
    'a sandbox path must be absolute or start with ~/ (e.g. ~/.npmrc, /opt/sdk)',
  )
  .refine((p) => p !== '/', 'a sandbox path of / would expose everything: use sandbox: off instead');

export const sandboxPolicy = z
  .object({
    network: z
      .union([z.boolean(), z.array(z.string().trim().min(1)).max(100)])
      .default(false)
      .superRefine((n, ctx) => {
        if (Array.isArray(n)) {
          ctx.addIssue({
            code: 'custom',
            message:
              'a host list cannot be enforced without a filtering proxy, which Longhaul does not run: use network: true (all hosts) or network: false (none)',
          });
        }
      })
      .describe("the agent's shell network: false (none, not even loopback) or true (the worker's network)"),
    allowRead: z
      .array(sandboxPath)
      .max(100)
      .default([])
      .describe('paths outside the workspace the shell may read (e.g. ~/.gitconfig, ~/.npmrc); absolute or ~/…'),
    allowWrite: z
      .array(sandboxPath)
      .max(100)
      .default([])
      .describe('paths outside the workspace the shell may read and write (e.g. ~/.cache/pip); absolute or ~/…'),
  })
  .strict();
export type SandboxPolicy = z.infer<typeof sandboxPolicy>;

/** `sandbox: off` (or `false`): the agent's shell runs with the worker's rights; status and Slack say so. */
export const sandboxSpec = z
  .union([z.literal('off'), z.literal(false), sandboxPolicy], {
    error: 'sandbox must be off, or { network: true | false, allowRead: [paths], allowWrite: [paths] }',
  })
  .describe("the agent's shell sandbox: off, or what it may reach beyond the workspace (on by default)");
export type SandboxSpec = z.infer<typeof sandboxSpec>;

/** What the tool-call activity is told: absent for the default (sandboxed, no network, nothing allowed). */
export interface SandboxInput {
  /** The spec's sandbox, when it says anything. */
  readonly sandbox?: SandboxPolicy | 'off';
  /** The held-out check commands: the files they name are hidden from the agent's shell. */
  readonly holdout?: readonly string[];
}

export function isUnsandboxed(spec: { readonly sandbox?: SandboxSpec | undefined }): boolean {
  return spec.sandbox === 'off' || spec.sandbox === false;
}

/**
 * The spec's sandbox and held-out commands as tool-call activity input fields, absent when default or empty, so the
 * inputs of goals without them (and of histories recorded before the sandbox) stay as they were.
 */
export function sandboxInputOf(spec: {
  readonly sandbox?: SandboxSpec | undefined;
  readonly holdout: readonly { readonly command: string }[];
}): SandboxInput {
  const sandbox = isUnsandboxed(spec) ? ('off' as const) : spec.sandbox === undefined ? undefined : spec.sandbox;
  const holdout = spec.holdout.map((h) => h.command);
  return {
    ...(sandbox !== undefined ? { sandbox: sandbox as SandboxPolicy | 'off' } : {}),
    ...(holdout.length > 0 ? { holdout } : {}),
  };
}
