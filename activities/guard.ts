/**
 * Guard activities around protected paths: record them at baseline (manifest in the goal store, only a
 * count in history), and at each verification find changes, undo them and report what was done.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { IntegrityViolation } from '../goal/status';
import {
  buildManifest,
  checkIntegrity,
  protectedPatterns,
  restoreProtected,
  type ProtectedManifest,
} from './integrity';
import type { GoalStore } from './store';

export interface ProtectWorkspaceInput {
  readonly goalId: string;
  readonly workspace: string;
  readonly protect: readonly string[];
  /** Metric and check commands: the files they name are protected too. */
  readonly commands: readonly string[];
}

export interface ProtectWorkspaceResult {
  /** The protected patterns (spec globs and named files), for the write tools to refuse. */
  readonly patterns: readonly string[];
  readonly files: number;
}

export interface VerifyIntegrityInput {
  readonly goalId: string;
  readonly workspace: string;
  readonly startCommit: string | null;
}

export interface VerifyIntegrityResult {
  readonly violations: readonly IntegrityViolation[];
  /** What was done to undo them, one line each. */
  readonly restored: readonly string[];
}

function manifestPath(store: GoalStore, goalId: string): string {
  return path.join(store.goalDir(goalId), 'protected.json');
}

export async function protectWorkspace(
  store: GoalStore,
  input: ProtectWorkspaceInput,
): Promise<ProtectWorkspaceResult> {
  const patterns = await protectedPatterns(
    { protect: [...input.protect], metrics: input.commands.map((command) => ({ command })), checks: [] },
    input.workspace,
  );
  const file = manifestPath(store, input.goalId);
  // Idempotent: a retry (or a restart) keeps the manifest taken at the real baseline.
  let manifest = await fs
    .readFile(file, 'utf8')
    .then((t) => JSON.parse(t) as ProtectedManifest)
    .catch(() => null);
  if (!manifest) {
    manifest = await buildManifest(input.workspace, patterns);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, JSON.stringify(manifest, null, 1));
  }
  return { patterns: manifest.patterns.slice(0, 500), files: Object.keys(manifest.files).length };
}

export async function verifyIntegrity(store: GoalStore, input: VerifyIntegrityInput): Promise<VerifyIntegrityResult> {
  const manifest = JSON.parse(await fs.readFile(manifestPath(store, input.goalId), 'utf8')) as ProtectedManifest;
  const violations = await checkIntegrity(input.workspace, manifest);
  if (violations.length === 0) return { violations: [], restored: [] };
  const restored = await restoreProtected(input.workspace, input.startCommit, manifest, violations);
  return { violations: violations.slice(0, 50), restored: restored.slice(0, 50) };
}
