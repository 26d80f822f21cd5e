import {
  binomialTailAtLeast,
  binomialTailAtMost,
  decideAbsolute,
  decidePaired,
  detectable,
  noiseEstimate,
  pairPasses,
  type PairedDecision,
  type PairedSample,
} from '../goal/stats';
import { gaussian, mulberry32 } from './helpers/seeded-random';

/** Exact P(X ≥ k | n, ½) with big integers, as the reference. */
function exactTailAtLeast(k: number, n: number): number {
  let sum = 0n;
  let choose = 1n; // C(n, 0)
  for (let i = 0; i <= n; i++) {
    if (i >= k) sum += choose;
    choose = (choose * BigInt(n - i)) / BigInt(i + 1);
  }
  return Number(sum) / 2 ** n; // both exact to double precision (2^n is a power of two)
}

describe('binomial tails', () => {
  test('known values at p = ½', () => {
    expect(binomialTailAtLeast(9, 10)).toBeCloseTo(11 / 1024, 15);
    expect(binomialTailAtMost(1, 10)).toBeCloseTo(11 / 1024, 15);
    expect(binomialTailAtLeast(8, 10)).toBeCloseTo(56 / 1024, 15);
    expect(binomialTailAtLeast(5, 10)).toBeCloseTo(638 / 1024, 14);
    expect(binomialTailAtLeast(1, 1)).toBe(0.5);
  });

  test('agree with exact big-integer sums up to n = 200', () => {
    for (const [k, n] of [
      [20, 30],
      [15, 30],
      [60, 100],
      [120, 200],
      [100, 200],
      [150, 200],
    ] as const) {
      const exact = exactTailAtLeast(k, n);
      expect(Math.abs(binomialTailAtLeast(k, n) - exact) / exact).toBeLessThan(1e-10);
      expect(Math.abs(binomialTailAtMost(n - k, n) - exact) / exact).toBeLessThan(1e-10);
    }
  });

  test('stay accurate in the far tails (no overflow, no underflow)', () => {
    expect(binomialTailAtLeast(200, 200) / 2 ** -200).toBeCloseTo(1, 10);
    expect(binomialTailAtMost(0, 200) / 2 ** -200).toBeCloseTo(1, 10);
    expect(binomialTailAtLeast(1, 200)).toBe(1);
    expect(binomialTailAtMost(199, 200)).toBe(1);
  });

  test('bounds and complements', () => {
    expect(binomialTailAtLeast(0, 10)).toBe(1);
    expect(binomialTailAtLeast(-3, 10)).toBe(1);
    expect(binomialTailAtLeast(11, 10)).toBe(0);
    expect(binomialTailAtMost(10, 10)).toBe(1);
    expect(binomialTailAtMost(-1, 10)).toBe(0);
    expect(binomialTailAtLeast(0, 0)).toBe(1);
    expect(binomialTailAtMost(0, 0)).toBe(1);
    for (let k = 0; k <= 25; k++) {
      expect(binomialTailAtMost(k, 25) + binomialTailAtLeast(k + 1, 25)).toBeCloseTo(1, 12);
    }
  });

  test('other probabilities', () => {
    expect(binomialTailAtLeast(2, 3, 0.2)).toBeCloseTo(3 * 0.04 * 0.8 + 0.008, 15);
    expect(binomialTailAtMost(0, 5, 0.1)).toBeCloseTo(0.9 ** 5, 15);
    expect(binomialTailAtLeast(1, 5, 0)).toBe(0);
    expect(binomialTailAtMost(4, 5, 1)).toBe(0);
    expect(binomialTailAtLeast(5, 5, 1)).toBe(1);
  });

  test('refuse nonsense arguments', () => {
    expect(() => binomialTailAtLeast(1.5, 10)).toThrow(RangeError);
    expect(() => binomialTailAtLeast(1, -1)).toThrow(RangeError);
    expect(() => binomialTailAtMost(1, 10, 1.2)).toThrow(RangeError);
  });
});

describe('pairPasses', () => {
  test('lower: the candidate must be at or under its own baseline × (1 + relative)', () => {
    expect(pairPasses('lower', -0.3, { baseline: 10, candidate: 7 })).toBe(true);
    expect(pairPasses('lower', -0.3, { baseline: 10, candidate: 7.01 })).toBe(false);
    expect(pairPasses('lower', -0.3, { baseline: 20, candidate: 7.01 })).toBe(true);
  });

  test('higher: the candidate must be at or over its own baseline × (1 + relative)', () => {
    expect(pairPasses('higher', 0.1, { baseline: 100, candidate: 111 })).toBe(true);
    expect(pairPasses('higher', 0.1, { baseline: 100, candidate: 109 })).toBe(false);
  });

  test('a non-finite value never passes', () => {
    expect(pairPasses('lower', -0.3, { baseline: 10, candidate: NaN })).toBe(false);
    expect(pairPasses('higher', 0.1, { baseline: NaN, candidate: 100 })).toBe(false);
  });
});

/** `passes` passing and `fails` failing pairs for a "30% lower" target. */
function pairsOf(passes: number, fails: number): PairedSample[] {
  return [
    ...Array.from({ length: passes }, () => ({ baseline: 10, candidate: 6 })),
    ...Array.from({ length: fails }, () => ({ baseline: 10, candidate: 9 })),
  ];
}

describe('decidePaired', () => {
  test('the issue example: 9 of 10 pairs past the target is MET', () => {
    const d = decidePaired({ direction: 'lower', relative: -0.3, pairs: pairsOf(9, 1) });
    expect(d).toMatchObject({ verdict: 'MET', passes: 9, pairs: 10, morePairs: 0 });
    expect(d.pValueMet).toBeCloseTo(11 / 1024, 12);
    expect(d.reason).toMatch(/9 of 10 pairs past the target/);
  });

  test('8 of 10 is not yet enough: INCONCLUSIVE, with more pairs to run', () => {
    const d = decidePaired({ direction: 'lower', relative: -0.3, pairs: pairsOf(8, 2) });
    expect(d.verdict).toBe('INCONCLUSIVE');
    expect(d.morePairs).toBeGreaterThan(0);
    expect(d.pValueMet).toBeCloseTo(56 / 1024, 12);
  });

  test('morePairs is the fewest that would decide at the pass rate seen so far', () => {
    // 7 of 10: at 70%, 12 of 17 is not enough (p ≈ 0.072) but 13 of 18 is (p ≈ 0.048).
    const d = decidePaired({ direction: 'lower', relative: -0.3, pairs: pairsOf(7, 3) });
    expect(d).toMatchObject({ verdict: 'INCONCLUSIVE', morePairs: 8 });
    expect(decidePaired({ direction: 'lower', relative: -0.3, pairs: pairsOf(12, 5) }).verdict).toBe('INCONCLUSIVE');
    expect(decidePaired({ direction: 'lower', relative: -0.3, pairs: pairsOf(13, 5) }).verdict).toBe('MET');
  });

  test('all pass is MET, none pass is NOT_MET', () => {
    expect(decidePaired({ direction: 'lower', relative: -0.3, pairs: pairsOf(10, 0) })).toMatchObject({
      verdict: 'MET',
      passes: 10,
      morePairs: 0,
    });
    const none = decidePaired({ direction: 'lower', relative: -0.3, pairs: pairsOf(0, 10) });
    expect(none).toMatchObject({ verdict: 'NOT_MET', passes: 0, morePairs: 0 });
    expect(none.pValueNotMet).toBeCloseTo(1 / 1024, 12);
  });

  test('no pairs yet: INCONCLUSIVE, asking for the initial batch (within maxPairs)', () => {
    expect(decidePaired({ direction: 'lower', relative: -0.3, pairs: [] })).toMatchObject({
      verdict: 'INCONCLUSIVE',
      passes: 0,
      pairs: 0,
      pValueMet: 1,
      pValueNotMet: 1,
      morePairs: 10,
    });
    expect(decidePaired({ direction: 'lower', relative: -0.3, pairs: [], maxPairs: 4 }).morePairs).toBe(4);
  });

  test('the higher direction', () => {
    const pairs = Array.from({ length: 10 }, (_, i) => ({ baseline: 100, candidate: i < 9 ? 125 : 105 }));
    expect(decidePaired({ direction: 'higher', relative: 0.2, pairs }).verdict).toBe('MET');
    expect(decidePaired({ direction: 'higher', relative: 0.3, pairs }).verdict).toBe('NOT_MET');
  });

  test('still inconclusive at maxPairs is NOT_MET, saying so', () => {
    const d = decidePaired({ direction: 'lower', relative: -0.3, pairs: pairsOf(15, 15) });
    expect(d).toMatchObject({ verdict: 'NOT_MET', pairs: 30, morePairs: 0 });
    expect(d.reason).toMatch(/still inconclusive after 30 pairs/);
    expect(decidePaired({ direction: 'lower', relative: -0.3, pairs: pairsOf(6, 4), maxPairs: 10 }).verdict).toBe(
      'NOT_MET',
    );
  });

  test('morePairs never goes beyond maxPairs', () => {
    for (let n = 1; n < 30; n++) {
      for (let k = 0; k <= n; k++) {
        const d = decidePaired({ direction: 'lower', relative: -0.3, pairs: pairsOf(k, n - k) });
        if (d.verdict === 'INCONCLUSIVE') {
          expect(d.morePairs).toBeGreaterThan(0);
          expect(n + d.morePairs).toBeLessThanOrEqual(30);
        } else {
          expect(d.morePairs).toBe(0);
        }
      }
    }
  });

  test('alpha can be made stricter', () => {
    expect(decidePaired({ direction: 'lower', relative: -0.3, pairs: pairsOf(9, 1), alpha: 0.01 }).verdict).toBe(
      'INCONCLUSIVE',
    );
  });
});

describe('decideAbsolute', () => {
  test('the median of the repeats against the threshold', () => {
    expect(decideAbsolute('lower', 2, [1.9, 2.5, 1.8])).toEqual({ verdict: 'MET', median: 1.9 });
    expect(decideAbsolute('lower', 2, [1.9, 2.5, 2.2])).toEqual({ verdict: 'NOT_MET', median: 2.2 });
    expect(decideAbsolute('higher', 80, [80])).toEqual({ verdict: 'MET', median: 80 });
    expect(decideAbsolute('higher', 80, [79, 81, 70, 90])).toEqual({ verdict: 'MET', median: 80 });
    expect(decideAbsolute('higher', 80, [79, 81, 70])).toEqual({ verdict: 'NOT_MET', median: 79 });
  });

  test('no samples is an error', () => {
    expect(() => decideAbsolute('lower', 2, [])).toThrow(RangeError);
  });
});

describe('noise', () => {
  test('noiseEstimate is the median relative difference of A/A pairs', () => {
    expect(noiseEstimate([10, 10, 10], [11, 9, 10]).relativeSpread).toBeCloseTo(1 / 10.5, 12); // 1/10.5, 1/9.5 and 0
    expect(noiseEstimate([0, 1], [0, 1])).toEqual({ relativeSpread: 0, pairs: 2 });
    expect(noiseEstimate([1, 2, 3], [1, NaN]).pairs).toBe(1);
    expect(() => noiseEstimate([], [1])).toThrow(RangeError);
  });

  test('a target under twice the noise is not detectable', () => {
    expect(detectable(-0.3, 0.1)).toBe(true);
    expect(detectable(-0.2, 0.1)).toBe(true);
    expect(detectable(-0.1, 0.1)).toBe(false);
    expect(detectable(0.15, 0.1)).toBe(false);
  });
});

// ---- Simulation: the acceptance criteria of the decision rule under noise ----

interface Scenario {
  /** The candidate's true scale relative to the baseline: 1 = no change, 0.6 = 40% faster. */
  readonly scale: number;
  readonly relative: number;
  readonly noise: number;
}

/** The sequential procedure the workflow runs: 10 pairs, then `morePairs` while INCONCLUSIVE. */
function sequentialTrial(random: () => number, s: Scenario): { first: PairedDecision; final: PairedDecision } {
  const pairs: PairedSample[] = [];
  const run = (count: number) => {
    for (let i = 0; i < count; i++) {
      pairs.push({ baseline: 1 + s.noise * gaussian(random), candidate: s.scale * (1 + s.noise * gaussian(random)) });
    }
  };
  run(10);
  const first = decidePaired({ direction: 'lower', relative: s.relative, pairs });
  let final = first;
  while (final.verdict === 'INCONCLUSIVE') {
    run(final.morePairs);
    final = decidePaired({ direction: 'lower', relative: s.relative, pairs });
  }
  return { first, final };
}

function simulate(seed: number, trials: number, s: Scenario) {
  const random = mulberry32(seed);
  let met = 0;
  let firstInconclusive = 0;
  let pairs = 0;
  for (let i = 0; i < trials; i++) {
    const { first, final } = sequentialTrial(random, s);
    if (final.verdict === 'MET') met += 1;
    if (first.verdict === 'INCONCLUSIVE') firstInconclusive += 1;
    pairs += final.pairs;
  }
  return { metRate: met / trials, firstInconclusiveRate: firstInconclusive / trials, meanPairs: pairs / trials };
}

describe('the decision rule under simulated noise (2,000 seeded trials each)', () => {
  test('pure noise (A = B, 10% noise) against a 30% target: MET in fewer than 1% of trials', () => {
    const { metRate } = simulate(1, 2000, { scale: 1, relative: -0.3, noise: 0.1 });
    expect(metRate).toBeLessThan(0.01);
  });

  test('a true 40% improvement at 10% noise against a 30% target: MET in at least 95% of trials', () => {
    const { metRate } = simulate(2, 2000, { scale: 0.6, relative: -0.3, noise: 0.1 });
    expect(metRate).toBeGreaterThanOrEqual(0.95);
  });

  test('a 15% improvement against a 10% target is often INCONCLUSIVE at first and then runs more pairs', () => {
    const { firstInconclusiveRate, meanPairs, metRate } = simulate(3, 2000, {
      scale: 0.85,
      relative: -0.1,
      noise: 0.1,
    });
    expect(firstInconclusiveRate).toBeGreaterThan(0.5);
    expect(meanPairs).toBeGreaterThan(15);
    expect(meanPairs).toBeLessThanOrEqual(30);
    expect(metRate).toBeGreaterThan(0.5);
    // And this target is below twice the noise: the workflow warns that it is hard to detect.
    const random = mulberry32(4);
    const a = Array.from({ length: 50 }, () => 1 + 0.1 * gaussian(random));
    const b = Array.from({ length: 50 }, () => 1 + 0.1 * gaussian(random));
    const { relativeSpread } = noiseEstimate(a, b);
    expect(relativeSpread).toBeGreaterThan(0.06);
    expect(relativeSpread).toBeLessThan(0.14);
    expect(detectable(-0.1, relativeSpread)).toBe(false);
    expect(detectable(-0.3, relativeSpread)).toBe(true);
  });
});
