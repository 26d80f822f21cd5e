/** Small statistics for benchmark figures. */

export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

/** The p-th percentile (nearest rank on sorted values, linear between ranks); NaN for no values. */
export function percentile(xs: readonly number[], p: number): number {
  const finite = xs.filter(Number.isFinite);
  if (finite.length === 0) return NaN;
  const s = [...finite].sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Least-squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * (ys[i]! - my);
    den += (x - mx) ** 2;
  });
  return den === 0 ? NaN : num / den;
}

/** Differences between consecutive values (e.g. intervals between timestamps). */
export function intervals(ts: readonly number[]): number[] {
  return ts.slice(1).map((t, i) => t - ts[i]!);
}
