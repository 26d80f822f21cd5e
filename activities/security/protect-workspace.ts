/**
 * Guard activities around protected paths: record them at baseline (manifest in the goal store, only a
 * count in history), and at each verification find changes, undo them and report what was done.
 */
import type { IntegrityViolation } from '../../goal/status';
import { buildManifest, checkIntegrity, protectedPatterns, restoreProtected } from './protected-paths';
import { goalNotInStore } from '../store/missing';
import type { GoalStore } from '../store/types';

export interface ProtectWorkspaceInput {
  readonly goalId: string;
  readonly workspace: string;
  readonly protect: readonly string[];
  /** Metric and check commands: the files they name are protected too. */
  readonly commands: readonly string[];
}

export interface ProtectWorkspaceResult {
  /** How many files the manifest covers (the patterns and hashes stay in the goal store). */
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

export async function protectWorkspace(
  store: GoalStore,
  input: ProtectWorkspaceInput,
): Promise<ProtectWorkspaceResult> {
  // Idempotent: a retry (or a restart) keeps the manifest taken at the real baseline.
  let manifest = await store.readProtectedManifest(input.goalId);
  if (!manifest) {
    const patterns = await protectedPatterns(
      { protect: input.protect, metrics: input.commands.map((command) => ({ command })), checks: [] },
      input.workspace,
    );
    manifest = await buildManifest(input.workspace, patterns);
    await store.writeProtectedManifest(input.goalId, manifest);
  }
  return { files: Object.keys(manifest.files).length };
}

export async function verifyIntegrity(store: GoalStore, input: VerifyIntegrityInput): Promise<VerifyIntegrityResult> {
  const manifest = await store.readProtectedManifest(input.goalId);
  // protectWorkspace records it at baseline, before any verification: without it, this is not the goal's store.
  if (!manifest) throw await goalNotInStore(store, input.goalId, 'its protected-paths manifest, recorded at baseline');
  const violations = await checkIntegrity(input.workspace, manifest);
  if (violations.length === 0) return { violations: [], restored: [] };
  const restored = await restoreProtected(input.workspace, input.startCommit, manifest, violations);
  return { violations: violations.slice(0, 50), restored: restored.slice(0, 50) };
}
