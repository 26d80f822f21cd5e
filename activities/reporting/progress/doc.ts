/**
 * The progress document's content: the status snapshot plus the measurement ledger read back into
 * measurements (the samples one metric or check gave for one label, e.g. "baseline" or "turn 12"). Pure.
 */
import { median, meets, type Verdict } from '../../../goal/decision';
import { decidePaired, type PairedSample } from '../../../goal/stats';
import type { GoalStatusView, MetricStatus } from '../../../goal/status';

/** A metric measured once: plain repeats, or paired runs against the baseline worktree. */
export interface MetricMeasurement {
  readonly kind: 'metric';
  readonly name: string;
  readonly label: string;
  /** When its first sample was recorded (ISO). */
  readonly at: string;
  readonly commit: string | null;
  /** The values read, in order (for paired runs: the workspace's side). */
  readonly samples: readonly number[];
  /** The median of the samples; null when a sample failed (as the measure activity reports it). */
  readonly value: number | null;
  readonly error?: string;
  /** Paired runs: the pairs, and how many of them are past the current target relative to their own baseline. */
  readonly paired?: {
    readonly pairs: readonly PairedSample[];
    readonly baselineMedian: number | null;
    readonly passes: number | null;
  };
  /** Against the current target: the threshold for repeats, the sign test for paired runs. */
  readonly verdict: Verdict;
}

/** A check (or held-out check, or checklist command) run once. */
export interface CheckMeasurement {
  readonly kind: 'check';
  readonly name: string;
  readonly label: string;
  readonly at: string;
  readonly commit: string | null;
  readonly passed: boolean;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly holdout: boolean;
}

export type Measurement = MetricMeasurement | CheckMeasurement;

export interface ProgressDoc {
  readonly view: GoalStatusView;
  /** Every measurement in the ledger, in the order it was recorded. */
  readonly measurements: readonly Measurement[];
  /** Ledger lines that are no measurement this document knows (skipped). */
  readonly skippedRecords: number;
  /** When the document was made (ISO). */
  readonly generatedAt: string;
}

/** The document for a status snapshot and the goal's ledger records (as GoalStore.readLedger returns them). */
export function buildProgressDoc(
  view: GoalStatusView,
  ledger: readonly Record<string, unknown>[],
  generatedAt: string,
): ProgressDoc {
  const holdout = new Set(view.holdout.map((h) => h.name));
  const measurements: Measurement[] = [];
  let skippedRecords = 0;
  let group: { key: string; records: Record<string, unknown>[] } | null = null;
  const flush = () => {
    if (!group) return;
    const m = measurementOf(group.records, view, holdout);
    if (m) measurements.push(m);
    else skippedRecords += group.records.length;
    group = null;
  };
  for (const rec of ledger) {
    const key = groupKey(rec);
    if (key === null) {
      flush();
      skippedRecords++;
      continue;
    }
    // A check is one record; samples of one metric and label recorded one after the other are one measurement.
    if (group && group.key === key && rec.kind !== 'check') group.records.push(rec);
    else {
      flush();
      group = { key, records: [rec] };
    }
  }
  flush();
  return { view, measurements, skippedRecords, generatedAt };
}

/**
 * The document as the agent may read it (a copy in the workspace): held-out checks, which the agent must
 * never see, are named by number: "#1", "#2", ...
 */
export function withoutHoldoutNames(doc: ProgressDoc): ProgressDoc {
  const names = new Map(doc.view.holdout.map((h, i) => [h.name, `#${i + 1}`]));
  const rename = (n: string) => names.get(n) ?? '#?';
  return {
    ...doc,
    view: { ...doc.view, holdout: doc.view.holdout.map((h) => ({ ...h, name: rename(h.name) })) },
    measurements: doc.measurements.map((m) => (m.kind === 'check' && m.holdout ? { ...m, name: rename(m.name) } : m)),
  };
}

function groupKey(rec: Record<string, unknown>): string | null {
  const label = typeof rec.label === 'string' ? rec.label : '';
  if ((rec.kind === 'sample' || rec.kind === 'paired-sample') && typeof rec.metric === 'string') {
    return `${rec.kind}\0${rec.metric}\0${label}`;
  }
  if (rec.kind === 'check' && typeof rec.check === 'string') return `check\0${rec.check}\0${label}`;
  return null;
}

function measurementOf(
  records: readonly Record<string, unknown>[],
  view: GoalStatusView,
  holdout: ReadonlySet<string>,
): Measurement | null {
  const first = records[0];
  if (!first) return null;
  const common = {
    label: typeof first.label === 'string' ? first.label : '',
    at: typeof first.at === 'string' ? first.at : '',
    commit: typeof first.commit === 'string' ? first.commit : null,
  };
  if (first.kind === 'check') {
    const name = first.check as string;
    return {
      kind: 'check',
      name,
      ...common,
      passed: first.passed === true,
      exitCode: typeof first.exitCode === 'number' ? first.exitCode : null,
      timedOut: first.timedOut === true,
      holdout: holdout.has(name),
    };
  }
  const name = first.metric as string;
  const status = view.metrics.find((m) => m.name === name);
  const error = records.map((r) => r.error).find((e): e is string => typeof e === 'string');
  if (first.kind === 'sample') {
    const samples = records.map((r) => r.value).filter(isFiniteNumber);
    const value = error === undefined && samples.length > 0 ? median(samples) : null;
    return {
      kind: 'metric',
      name,
      ...common,
      samples,
      value,
      ...(error !== undefined ? { error } : {}),
      verdict: thresholdVerdict(status, value),
    };
  }
  const pairs = pairsOf(records);
  const samples = pairs.map((p) => p.candidate);
  const value = error === undefined && samples.length > 0 ? median(samples) : null;
  const relative = relativeTarget(status);
  const decision =
    relative !== null && status && pairs.length > 0
      ? decidePaired({ direction: status.direction, relative, pairs })
      : null;
  return {
    kind: 'metric',
    name,
    ...common,
    commit: records.map((r) => r.commit).find((c): c is string => typeof c === 'string' && c !== 'baseline') ?? null,
    samples,
    value,
    ...(error !== undefined ? { error } : {}),
    paired: {
      pairs,
      baselineMedian: pairs.length > 0 ? median(pairs.map((p) => p.baseline)) : null,
      passes: decision ? decision.passes : null,
    },
    verdict: error !== undefined || !decision ? 'UNKNOWN' : decision.verdict,
  };
}

/** Pairs from paired-sample records: the two roles of one pair are recorded one after the other. */
function pairsOf(records: readonly Record<string, unknown>[]): PairedSample[] {
  const pairs: PairedSample[] = [];
  let open: { pair: unknown; baseline?: number; candidate?: number } | null = null;
  for (const r of records) {
    if (!open || open.pair !== r.pair) open = { pair: r.pair };
    if (!isFiniteNumber(r.value)) {
      open = null;
      continue;
    }
    if (r.role === 'baseline') open.baseline = r.value;
    else if (r.role === 'candidate') open.candidate = r.value;
    if (open.baseline !== undefined && open.candidate !== undefined) {
      pairs.push({ baseline: open.baseline, candidate: open.candidate });
      open = null;
    }
  }
  return pairs;
}

function thresholdVerdict(status: MetricStatus | undefined, value: number | null): Verdict {
  if (!status || value === null || status.target === null) return 'UNKNOWN';
  return meets(status.direction, value, status.target) ? 'MET' : 'NOT_MET';
}

/** The relative target behind the status's absolute threshold (threshold = baseline × (1 + relative)). */
function relativeTarget(status: MetricStatus | undefined): number | null {
  if (!status || status.target === null || status.baseline === null || !(status.baseline > 0)) return null;
  return status.target / status.baseline - 1;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
