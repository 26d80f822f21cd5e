/**
 * Size limits on what users send into a goal. Everything a goal carries travels through Temporal's history (the
 * spec in the start event and in each continue-as-new, an edit in its update): Temporal refuses payloads over
 * 2 MiB and warns from 256 KiB, so inputs are refused well before, at the edge, with a message that says what to
 * do instead.
 */

/** A goal spec, as JSON. Long guidance belongs in a plan file (`plan:`), which the agent re-reads each turn. */
export const MAX_SPEC_BYTES = 128 * 1024;
/** One edit, as JSON. */
export const MAX_EDIT_BYTES = 64 * 1024;
/** Objective and guidance texts, in characters. */
export const MAX_TEXT_CHARS = 20_000;

/** Bytes of `value` as UTF-8 JSON. */
export function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value) ?? '').length;
}

/**
 * "the spec is 300 KiB; keep it under 128 KiB: <hint>" when `value` is too large, else null. A value that cannot be
 * JSON at all (a YAML alias that contains itself) is refused too: Temporal could not carry it.
 */
export function tooLarge(what: string, value: unknown, limit: number, hint: string): string | null {
  let bytes: number;
  try {
    bytes = jsonBytes(value);
  } catch (err) {
    const why = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
    return `${what} is not plain data (${why}): write every value out, without a YAML alias (*name) inside its own anchor`;
  }
  if (bytes <= limit) return null;
  return `${what} is ${Math.ceil(bytes / 1024)} KiB; keep it under ${limit / 1024} KiB: ${hint}`;
}
