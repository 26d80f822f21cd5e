/**
 * Guard activities around protected paths: record them at baseline (manifest in the goal store, only a
 * count in history), and at each verification find changes, undo them and report what was done.
 */
import type { RoledCommand } from '../../goal/protection';
import type { IntegrityViolation } from '../../goal/status';
import {
  buildManifest,
  buildProtectedManifest,
  checkIntegrity,
  protectedPatterns,
  protectionPlan,
  restoreProtected,
  type ProtectedManifest,
} from './protected-paths';
import { goalNotInStore } from '../store/missing';
import type { GoalStore } from '../store/types';

export interface ProtectWorkspaceInput {
  readonly goalId: string;
  readonly workspace: string;
  readonly protect: readonly string[];
  /** Metric and check commands of inputs from before `named`: the files they name are all protected. */
  readonly commands: readonly string[];
  /** The commands with the role of what they name (goal/protection.ts roledCommands); replaces `commands`. */
  readonly named?: readonly RoledCommand[];
  /** The spec's `editable` globs: exempt from the automatic rules. */
  readonly editable?: readonly string[];
  /**
   * After an edit changed what is editable: the manifest is taken again (what it recorded keeps its baseline
   * hashes; see buildProtectedManifest). @default false: the baseline's manifest, taken once
   */
  readonly retake?: boolean;
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
  const previous = await store.readProtectedManifest(input.goalId);
  if (previous && !input.retake) return { files: Object.keys(previous.files).length };
  if (!previous && input.retake) {
    throw await goalNotInStore(store, input.goalId, 'its protected-paths manifest, recorded at baseline');
  }
  const manifest = await takeManifest(input, previous);
  await store.writeProtectedManifest(input.goalId, manifest);
  return { files: Object.keys(manifest.files).length };
}

async function takeManifest(
  input: ProtectWorkspaceInput,
  previous: ProtectedManifest | null,
): Promise<ProtectedManifest> {
  if (input.named === undefined) {
    // An input from a workflow that predates roles: every named file is protected, as it was.
    const patterns = await protectedPatterns(
      { protect: input.protect, metrics: input.commands.map((command) => ({ command })), checks: [] },
      input.workspace,
    );
    return buildManifest(input.workspace, patterns);
  }
  const plan = await protectionPlan(
    { protect: input.protect, named: input.named, ...(input.editable ? { editable: input.editable } : {}) },
    input.workspace,
  );
  return buildProtectedManifest(input.workspace, plan, previous);
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
