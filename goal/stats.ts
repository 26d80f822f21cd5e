/**
 * The noise-aware decision rule for metrics, pure so that it can run inside the workflow and be simulated in tests.
 *
 * Relative targets ("30% lower than at the start") are decided from PAIRED runs: each pair is one run of the
 * baseline (a worktree of the start commit) and one of the candidate, interleaved, so that drift in the machine
 * (load, thermal state, caches) hits both sides of a pair alike. A pair PASSES when the candidate is past the target
 * relative to its own baseline run: for "lower", candidate ≤ baseline·(1 + relative); for "higher",
 * candidate ≥ baseline·(1 + relative).
 *
 * With n pairs of which k pass, a one-sided sign test against "a pair passes half of the time" (the candidate sits
 * exactly at the target) decides:
 *   - MET          when P(X ≥ k | n, ½) < alpha: clearly more pairs pass than chance would give;
 *   - NOT_MET      when P(X ≤ k | n, ½) < alpha: clearly fewer pass;
 *   - INCONCLUSIVE otherwise, with `morePairs` saying how many more pairs to run (the fewest that would decide if
 *                  the pass rate seen so far held); once maxPairs pairs have not shown the target to be met it is
 *                  NOT_MET, because the burden of proof is on the candidate.
 * Defaults: alpha 0.05, at most 30 pairs; the workflow starts with DEFAULT_INITIAL_PAIRS (10). With 10 pairs, 9 must
 * pass for MET (P(X ≥ 9 | 10, ½) = 11/1024 ≈ 0.011) and at most 1 for NOT_MET.
 *
 * The sign test assumes nothing about the shape of the noise (only that a pair at the target passes with
 * probability ½), so one slow outlier cannot carry or sink a decision. Looking again after more pairs raises the
 * chance of a false MET for a candidate sitting exactly at the target above alpha (about 8% in simulation, 10 to 30
 * pairs); a candidate no better than the baseline is practically never MET for a target beyond twice the noise
 * (0 of 2,000 simulated trials at 10% noise and a 30% target, see test/stats.test.ts).
 *
 * Absolute targets ("under 2 s") and deterministic metrics (counts, coverage) compare the median of the repeats with
 * the threshold (decideAbsolute). A relative target smaller than about twice the run-to-run noise (measured from
 * A/A runs, noiseEstimate) cannot be detected reliably (detectable): the workflow warns the user.
 */
import { median, meets } from './decision';
import type { MetricSpec } from './spec';

export type Direction = MetricSpec['direction'];
export type PairedVerdict = 'MET' | 'NOT_MET' | 'INCONCLUSIVE';

export interface PairedSample {
  readonly baseline: number;
  readonly candidate: number;
}

export interface PairedDecision {
  readonly verdict: PairedVerdict;
  /** Pairs whose candidate is past the target relative to its own baseline run. */
  readonly passes: number;
  /** Pairs considered. */
  readonly pairs: number;
  /** One-sided sign-test p-value for "more pairs pass than chance": P(X ≥ passes | pairs, ½). */
  readonly pValueMet: number;
  /** One-sided sign-test p-value for "fewer pairs pass than chance": P(X ≤ passes | pairs, ½). */
  readonly pValueNotMet: number;
  /** How many more pairs to run when INCONCLUSIVE (never beyond maxPairs in total); 0 otherwise. */
  readonly morePairs: number;
  /** Why, in words, for the user and the ledger. */
  readonly reason: string;
}

export const DEFAULT_ALPHA = 0.05;
export const DEFAULT_MAX_PAIRS = 30;
/** Pairs the workflow runs before the first decision. */
export const DEFAULT_INITIAL_PAIRS = 10;
/** A relative target must be at least this many times the noise to be detected reliably. */
export const DETECTABLE_NOISE_FACTOR = 2;

const logFactorials: number[] = [0];

function logFactorial(n: number): number {
  for (let i = logFactorials.length; i <= n; i++) logFactorials.push(logFactorials[i - 1]! + Math.log(i));
  return logFactorials[n]!;
}

/** P(X = i) for X ~ Binomial(n, p), computed in log space (no overflow of C(n, i), no underflow of p^n). */
function binomialPmf(i: number, n: number, p: number): number {
  if (p === 0) return i === 0 ? 1 : 0;
  if (p === 1) return i === n ? 1 : 0;
  const logChoose = logFactorial(n) - logFactorial(i) - logFactorial(n - i);
  return Math.exp(logChoose + i * Math.log(p) + (n - i) * Math.log1p(-p));
}

function checkBinomial(k: number, n: number, p: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a whole number ≥ 0, got ${n}`);
  if (!Number.isInteger(k)) throw new RangeError(`k must be a whole number, got ${k}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be between 0 and 1, got ${p}`);
}

function sumPmf(from: number, to: number, n: number, p: number): number {
  let sum = 0;
  for (let i = from; i <= to; i++) sum += binomialPmf(i, n, p);
  return sum;
}

/**
 * P(X ≥ k) for X ~ Binomial(n, p), exact: the smaller tail is summed term by term (all terms positive, so no
 * cancellation and full relative precision in the far tail); a tail holding the bulk is 1 − the other one.
 */
export function binomialTailAtLeast(k: number, n: number, p = 0.5): number {
  checkBinomial(k, n, p);
  if (k <= 0) return 1;
  if (k > n) return 0;
  const tail = k > n * p ? sumPmf(k, n, n, p) : 1 - sumPmf(0, k - 1, n, p);
  return Math.min(1, Math.max(0, tail));
}

/** P(X ≤ k) for X ~ Binomial(n, p), exact (as binomialTailAtLeast). */
export function binomialTailAtMost(k: number, n: number, p = 0.5): number {
  checkBinomial(k, n, p);
  if (k < 0) return 0;
  if (k >= n) return 1;
  const tail = k < n * p ? sumPmf(0, k, n, p) : 1 - sumPmf(k + 1, n, n, p);
  return Math.min(1, Math.max(0, tail));
}

/**
 * Whether the candidate of a pair is past the target relative to ITS OWN baseline run: lower: candidate ≤
 * baseline·(1 + relative); higher: candidate ≥ baseline·(1 + relative). A non-finite value never passes.
 */
export function pairPasses(direction: Direction, relative: number, pair: PairedSample): boolean {
  if (!Number.isFinite(pair.baseline) || !Number.isFinite(pair.candidate)) return false;
  const threshold = pair.baseline * (1 + relative);
  return direction === 'lower' ? pair.candidate <= threshold : pair.candidate >= threshold;
}

function formatP(p: number): string {
  return p < 0.001 ? p.toExponential(1) : p.toPrecision(2);
}

/** The sign test on paired runs, see the header of this file. */
export function decidePaired(opts: {
  readonly direction: Direction;
  readonly relative: number;
  readonly pairs: readonly PairedSample[];
  readonly alpha?: number;
  readonly maxPairs?: number;
}): PairedDecision {
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  const maxPairs = opts.maxPairs ?? DEFAULT_MAX_PAIRS;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be between 0 and 1, got ${alpha}`);
  if (!Number.isInteger(maxPairs) || maxPairs < 1) throw new RangeError(`maxPairs must be ≥ 1, got ${maxPairs}`);
  const n = opts.pairs.length;
  const passes = opts.pairs.filter((pair) => pairPasses(opts.direction, opts.relative, pair)).length;
  const pValueMet = binomialTailAtLeast(passes, n);
  const pValueNotMet = binomialTailAtMost(passes, n);
  const base = { passes, pairs: n, pValueMet, pValueNotMet };
  const seen = `${passes} of ${n} pairs past the target`;
  if (pValueMet < alpha) {
    return {
      ...base,
      verdict: 'MET',
      morePairs: 0,
      reason: `${seen}: more than chance (sign test p = ${formatP(pValueMet)} < ${alpha})`,
    };
  }
  if (pValueNotMet < alpha) {
    return {
      ...base,
      verdict: 'NOT_MET',
      morePairs: 0,
      reason: `${seen}: fewer than chance (sign test p = ${formatP(pValueNotMet)} < ${alpha})`,
    };
  }
  if (n >= maxPairs) {
    return {
      ...base,
      verdict: 'NOT_MET',
      morePairs: 0,
      reason: `${seen}: still inconclusive after ${n} pairs (the most allowed is ${maxPairs}; sign test p = ${formatP(pValueMet)}), so the target is not shown to be met`,
    };
  }
  const morePairs = morePairsFor(passes, n, alpha, maxPairs);
  return {
    ...base,
    verdict: 'INCONCLUSIVE',
    morePairs,
    reason:
      n === 0
        ? `no pairs yet: run ${morePairs}`
        : `${seen}: not yet clear either way (sign test p = ${formatP(pValueMet)} for met, ${formatP(pValueNotMet)} for not met): run ${morePairs} more`,
  };
}

/**
 * The fewest more pairs that would decide if the pass rate seen so far held (all the room left up to maxPairs when
 * no number would); DEFAULT_INITIAL_PAIRS when there are no pairs yet.
 */
function morePairsFor(passes: number, n: number, alpha: number, maxPairs: number): number {
  const room = maxPairs - n;
  if (n === 0) return Math.min(room, DEFAULT_INITIAL_PAIRS);
  const rate = passes / n;
  for (let m = 1; m <= room; m++) {
    const k = passes + Math.round(rate * m);
    if (binomialTailAtLeast(k, n + m) < alpha || binomialTailAtMost(k, n + m) < alpha) return m;
  }
  return room;
}

/**
 * An absolute target (or a deterministic metric): the median of the repeats against the threshold. Throws a
 * RangeError for no samples.
 */
export function decideAbsolute(
  direction: Direction,
  threshold: number,
  samples: readonly number[],
): { verdict: 'MET' | 'NOT_MET'; median: number } {
  const mid = median(samples);
  return { verdict: meets(direction, mid, threshold) ? 'MET' : 'NOT_MET', median: mid };
}

/**
 * The run-to-run noise of a metric from A/A runs (the same code measured twice, paired by index up to the shorter
 * list): the median over pairs of |a − b| / mean(|a|, |b|) (a pair of zeros differs by 0; non-finite pairs are
 * skipped). With 10% noise per run this is about 0.095. Throws a RangeError when there is no usable pair.
 */
export function noiseEstimate(
  samplesA: readonly number[],
  samplesB: readonly number[],
): { relativeSpread: number; pairs: number } {
  const differences: number[] = [];
  for (let i = 0; i < Math.min(samplesA.length, samplesB.length); i++) {
    const a = samplesA[i]!;
    const b = samplesB[i]!;
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    const scale = (Math.abs(a) + Math.abs(b)) / 2;
    differences.push(scale === 0 ? 0 : Math.abs(a - b) / scale);
  }
  if (differences.length === 0) throw new RangeError('noiseEstimate needs at least one pair of finite A/A samples');
  return { relativeSpread: median(differences), pairs: differences.length };
}

/**
 * Whether a relative target can be told apart from the noise: |relative| must be at least
 * DETECTABLE_NOISE_FACTOR (2) × the noise (noiseEstimate's relativeSpread). Below that, paired runs of an unchanged
 * candidate pass or fail the target almost at random, so the sign test needs many pairs and still errs: the
 * workflow warns the user (make the measurement steadier, repeat it inside the command, or aim further).
 */
export function detectable(relative: number, noise: number): boolean {
  return Math.abs(relative) >= DETECTABLE_NOISE_FACTOR * noise;
}
