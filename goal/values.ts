/** How numbers are shown to people (status, reports, Slack, commit messages). Pure. */

/** A metric value for people: integers as they are, others to 4 significant digits, `n/a` when missing. */
export function formatValue(v: number | null): string {
  if (v === null) return 'n/a';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}
