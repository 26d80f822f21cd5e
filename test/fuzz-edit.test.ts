/**
 * Bad input, goal edits: any edit a user sends (`longhaul edit`, an edit file, the update API) against any valid
 * goal either yields a new spec that validates again, or is refused with an InvalidEditError naming each bad field;
 * never another exception, and the running goal's spec object is never touched.
 */
import fc from 'fast-check';
import { InvalidEditError, applyEditToSpec, describeChanges, metricsToRebaseline, parseGoalEdit } from '../goal/edit';
import { parseGoalSpec, type GoalSpec } from '../goal/spec';
import { FUZZ_RUNS, deepFreeze, expectClearProblems, fuzzParams, nastyString, nastyValue, timed } from './helpers/fuzz';
import { mutated, validCheck, validMetric, validSpec } from './helpers/spec-arbitraries';

const target = fc.oneof(
  fc.record({ absolute: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
  fc.record({ relative: fc.double({ min: -0.99, max: 3, noNaN: true }) }),
);

/** An edit of the goal `spec`: the right shape, targets named after its metrics (and a few that are not). */
function editOf(spec: GoalSpec): fc.Arbitrary<unknown> {
  const names = spec.metrics.map((m) => m.name);
  const targetName = fc.oneof(
    ...(names.length > 0 ? [{ weight: 4, arbitrary: fc.constantFrom(...names) }] : []),
    { weight: 1, arbitrary: fc.constantFrom('constructor', 'toString', '__proto__', 'no_such_metric') },
    { weight: 1, arbitrary: nastyString },
  );
  const wellFormed = fc.record(
    {
      objective: fc.string({ maxLength: 100 }),
      guidance: fc.string({ maxLength: 100 }),
      metrics: fc.array(validMetric, { maxLength: 3 }),
      targets: fc.dictionary(targetName, target, { maxKeys: 3 }),
      checks: fc.array(validCheck, { maxLength: 2 }),
      checklist: fc.array(fc.string(), { maxLength: 2 }),
      budget: fc.record(
        {
          maxTurns: fc.integer({ min: -1, max: 2_000_000 }),
          maxTokens: fc.integer({ min: -1 }),
          maxHours: fc.double({ min: -1, max: 1000, noNaN: true }),
          maxCostUsd: fc.double({ min: -1, max: 1000, noNaN: true }),
        },
        { requiredKeys: [] },
      ),
      reason: fc.string({ maxLength: 1100 }),
    },
    { requiredKeys: [] },
  );
  return fc.oneof(
    { weight: 4, arbitrary: wellFormed },
    { weight: 4, arbitrary: mutated(wellFormed) },
    { weight: 1, arbitrary: fc.jsonValue() },
    { weight: 1, arbitrary: nastyValue },
  );
}

const spent = fc.record({
  turns: fc.nat(100),
  tokens: fc.nat(1_000_000),
  hours: fc.double({ min: 0, max: 200, noNaN: true }),
  costUsd: fc.option(fc.double({ min: 0, max: 50, noNaN: true }), { nil: undefined }),
});

describe('fuzzing goal edits', () => {
  // Would catch: the spec being changed in place (a metric's target assigned, the budget spread into the original),
  // a TypeError from a lookup (e.g. `targets[name]` finding Object.prototype.constructor for a metric named
  // "constructor"), an edit file with a self-referencing YAML alias crashing the size check, an accepted edit that
  // leaves an invalid goal, and describeChanges throwing on what was accepted.
  test('an edit yields a spec that validates again, or an InvalidEditError naming each field; the goal is never mutated', () => {
    let applied = 0;
    let refused = 0;
    const goalAndEdit = validSpec
      .map((input) => deepFreeze(parseGoalSpec({ ...input, workspace: '/repo' })))
      .chain((spec) => fc.tuple(fc.constant(spec), editOf(spec), spent));
    fc.assert(
      fc.property(goalAndEdit, ([spec, input, used]) => {
        const before = JSON.stringify(spec);
        deepFreeze(input);
        const { value, ms } = timed(() => {
          try {
            const edit = parseGoalEdit(input);
            return { edit, after: applyEditToSpec(spec, edit, used) };
          } catch (err) {
            if (!(err instanceof InvalidEditError)) throw err;
            return [...err.problems];
          }
        });
        expect(ms).toBeLessThan(1000);
        expect(JSON.stringify(spec)).toBe(before); // frozen, and unchanged
        if (Array.isArray(value)) {
          refused++;
          expectClearProblems(value);
          return;
        }
        applied++;
        const { edit, after } = value;
        expect(parseGoalSpec(after)).toEqual(after);
        for (const [name, t] of Object.entries(edit.targets ?? {})) {
          expect(after.metrics.find((m) => m.name === name)?.target).toEqual(t);
        }
        const names = new Set(after.metrics.map((m) => m.name));
        for (const m of metricsToRebaseline(spec, after)) expect(names.has(m)).toBe(true);
        for (const line of describeChanges(spec, after)) expect(line).not.toMatch(/\[object Object\]|undefined/);
      }),
      fuzzParams(FUZZ_RUNS.edit),
    );
    expect(applied).toBeGreaterThan(FUZZ_RUNS.edit / 100);
    expect(refused).toBeGreaterThan(FUZZ_RUNS.edit / 100);
  });

  // Would catch: a valid edit refused for a reason it did not cause, e.g. `targets[name]` finding
  // Object.prototype.constructor for a metric named "constructor" (then every target edit of that goal was refused).
  test('a target edit naming existing metrics with valid targets is always applied, exactly', () => {
    const goalAndTargets = validSpec
      .map((input) => deepFreeze(parseGoalSpec({ ...input, workspace: '/repo' })))
      .filter((spec) => spec.metrics.length > 0)
      .chain((spec) =>
        fc.tuple(
          fc.constant(spec),
          fc.subarray(spec.metrics, { minLength: 1 }).chain((ms) =>
            fc.tuple(
              ...ms.map((m) =>
                fc
                  .oneof(
                    fc.record({ absolute: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
                    fc
                      .double({ min: 0.01, max: 0.99, noNaN: true })
                      .map((x) => ({ relative: m.direction === 'lower' ? -x : x })),
                  )
                  .map((t) => [m.name, t] as const),
              ),
            ),
          ),
        ),
      );
    fc.assert(
      fc.property(goalAndTargets, ([spec, pairs]) => {
        const targets = Object.fromEntries(pairs);
        const after = applyEditToSpec(spec, parseGoalEdit({ targets }), { turns: 0, tokens: 0, hours: 0 });
        for (const m of after.metrics)
          expect(m.target).toEqual(
            Object.hasOwn(targets, m.name) ? targets[m.name] : spec.metrics.find((o) => o.name === m.name)!.target,
          );
      }),
      fuzzParams(FUZZ_RUNS.edit),
    );
  });
});
