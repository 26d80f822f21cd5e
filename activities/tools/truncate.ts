/**
 * Head-and-tail truncation of tool output: the start (what ran) and the end (how it ended) matter most.
 */

export interface TruncateResult {
  readonly text: string;
  readonly truncated: boolean;
  /** Characters of the original text left out (0 when not truncated). */
  readonly omittedChars: number;
}

/** How far (as a share of each half) a cut may move to land on a line boundary. */
const LINE_SNAP_SHARE = 0.2;

function marker(omitted: number, ref: string | undefined): string {
  const where = ref === undefined ? '' : `: full output stored as ${ref}`;
  return `\n… [${omitted} characters omitted${where}] …\n`;
}

/**
 * Returns `text` unchanged if it has at most `maxChars` characters; otherwise keeps its head and tail around a
 * marker line (`… [N characters omitted: full output stored as <ref>] …`) so the result fits in `maxChars`.
 * Cuts move to line boundaries when one is near.
 */
export function truncateHeadTail(text: string, maxChars: number, ref?: string): TruncateResult {
  if (text.length <= maxChars) return { text, truncated: false, omittedChars: 0 };

  // The marker's length depends on the omitted count, which depends on the marker's length: settle it in two passes.
  let budget = Math.max(0, maxChars - marker(text.length, ref).length);
  budget = Math.max(0, maxChars - marker(text.length - budget, ref).length);

  let headEnd = Math.ceil(budget / 2);
  let tailStart = text.length - (budget - headEnd);

  const headNewline = text.lastIndexOf('\n', headEnd - 1);
  if (headNewline >= 0 && headEnd - (headNewline + 1) <= headEnd * LINE_SNAP_SHARE) headEnd = headNewline + 1;
  const tailNewline = text.indexOf('\n', tailStart);
  const tailLength = text.length - tailStart;
  if (tailNewline >= 0 && tailNewline + 1 - tailStart <= tailLength * LINE_SNAP_SHARE) tailStart = tailNewline + 1;

  const head = text.slice(0, headEnd).replace(/\n$/, '');
  const tail = text.slice(tailStart);
  const omittedChars = text.length - headEnd - (text.length - tailStart);
  return { text: head + marker(omittedChars, ref) + tail, truncated: true, omittedChars };
}
