/**
 * fast-check arbitraries of goal specs for the fuzz tests: specs that must validate, and valid specs with a field or
 * two replaced by hostile values (wrong types, huge strings, NUL bytes, "__proto__" keys...).
 */
import fc from 'fast-check';
import { MEASURE_KINDS } from '../../goal/spec';
import { nastyString, nastyValue } from './fuzz';

/** Specs that must validate: every field within its documented range. */
const lowerOrHigher = fc.constantFrom('lower', 'higher');
export const validMetric = fc
  .record({
    // Names that are also Object.prototype members catch lookups like `targets[name]` on a plain object.
    name: fc.oneof(
      fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/),
      fc.constantFrom('constructor', 'toString', 'valueOf', 'hasOwnProperty', 'build_seconds'),
    ),
    command: fc.string({ minLength: 1 }).filter((c) => c.trim() !== ''),
    measure: fc.constantFrom(...MEASURE_KINDS),
    direction: lowerOrHigher,
    magnitude: fc.double({ min: 0.01, max: 0.99, noNaN: true }),
    absolute: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: undefined }),
    repeat: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
    timeoutSeconds: fc.integer({ min: 1, max: 86_400 }),
  })
  .map(({ magnitude, absolute, repeat, ...m }) => ({
    ...m,
    pattern: '(\\d+) failing',
    path: 'stats.total',
    target: absolute !== undefined ? { absolute } : { relative: m.direction === 'lower' ? -magnitude : magnitude },
    ...(repeat !== undefined ? { repeat } : {}),
  }));
export const validCheck = fc.record({
  name: fc.string({ minLength: 1 }).filter((n) => n.trim() !== ''),
  command: fc.string({ minLength: 1 }).filter((c) => c.trim() !== ''),
  timeoutSeconds: fc.integer({ min: 1, max: 86_400 }),
});
export const validSpec = fc.record(
  {
    objective: fc.string({ minLength: 1, maxLength: 200 }).filter((o) => o.trim() !== ''),
    workspace: fc.constantFrom('/repo', '.', 'a/b', '../sibling'),
    guidance: fc.string({ maxLength: 200 }),
    plan: fc.constantFrom('PLAN.md', '/abs/PLAN.md'),
    metrics: fc.uniqueArray(validMetric, { maxLength: 3, selector: (m) => m.name }),
    checks: fc.array(validCheck, { minLength: 1, maxLength: 3 }),
    checklist: fc.array(
      fc.string({ minLength: 1 }).filter((c) => c.trim() !== ''),
      { maxLength: 2 },
    ),
    protect: fc.array(fc.constantFrom('test/**', 'bench.sh'), { maxLength: 2 }),
    budget: fc.record(
      {
        maxTurns: fc.integer({ min: 1, max: 1_000_000 }),
        maxTokens: fc.integer({ min: 1 }),
        maxHours: fc.double({ min: 0.01, max: 1000, noNaN: true }),
        maxCostUsd: fc.double({ min: 0.01, max: 1000, noNaN: true }),
      },
      { requiredKeys: [] },
    ),
    model: fc.record(
      {
        name: fc.constantFrom('gpt-5.1', 'local-llm'),
        api: fc.constantFrom('responses', 'chat'),
        price: fc.record({ inputPerMTok: fc.double({ min: 0, max: 100, noNaN: true }), outputPerMTok: fc.constant(1) }),
        contextWindow: fc.integer({ min: 2000, max: 10_000_000 }),
      },
      { requiredKeys: [] },
    ),
    git: fc.record(
      { branch: fc.constantFrom('longhaul/x', 'feature/y'), milestones: fc.boolean() },
      { requiredKeys: [] },
    ),
    report: fc.record({ mirror: fc.constantFrom('.longhaul', 'docs/progress') }, { requiredKeys: [] }),
    finalize: fc.record({ reflect: fc.boolean(), cleanupTurns: fc.integer({ min: 0, max: 20 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: ['objective', 'workspace', 'checks'] },
);

/** Every place in `value` where a field could be replaced or added: a path of keys and indexes. */
function placesIn(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [at];
  const inside = Object.entries(value).flatMap(([k, v]) => placesIn(v, [...at, Array.isArray(value) ? Number(k) : k]));
  return [at, ...inside, [...at, 'unknownField']];
}

/** `value` with the place `at` replaced by `replacement` (copied along the path, so `value` is unchanged). */
function replaceAt(value: unknown, at: (string | number)[], replacement: unknown): unknown {
  if (at.length === 0) return replacement;
  const [head, ...rest] = at as [string | number, ...(string | number)[]];
  const copy = (Array.isArray(value) ? [...(value as unknown[])] : { ...(value as object) }) as Record<
    string | number,
    unknown
  >;
  Object.defineProperty(copy, head, {
    value: replaceAt(copy[head], rest, replacement),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

/** `arb`'s values with one or two fields (or new unknown fields) replaced by hostile values. */
export function mutated(arb: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      arb,
      fc.array(fc.tuple(fc.nat(), nastyValue, fc.option(nastyString, { nil: undefined })), {
        minLength: 1,
        maxLength: 2,
      }),
    )
    .map(([value, changes]) =>
      changes.reduce<unknown>((v, [n, replacement, key]) => {
        const places = placesIn(v);
        const at = [...places[n % places.length]!];
        // Now and then the new field's name is hostile too: "__proto__", a NUL byte, a huge name.
        if (key !== undefined && at[at.length - 1] === 'unknownField') at[at.length - 1] = key;
        return replaceAt(v, at, replacement);
      }, value),
    );
}

/** A valid spec with one or two fields (or new unknown fields) replaced by hostile values. */
export const mutatedSpec = mutated(validSpec);
