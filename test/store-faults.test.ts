/**
 * The file goal store when the disk fails: a write that fails leaves no temp file and never a half-written file
 * that is read back; an append torn half-way (disk full) is cut off before the next one and never parsed; and on a
 * real dev server, a goal whose store writes fail for a while retries the activity and ends normally.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { goalDir } from '../common/goal-files';
import { FileGoalStore } from '../activities/store/files';
import { createHarness, runGoal } from './helpers/goal-harness';
import { NO_FINISHING } from './helpers/finishing';
import { useServerAndFake } from './helpers/suite';
import { scoreMetric, scoreWorkspace, tempDir, writeScore } from './helpers/workspace';

describe('the goal store on a failing disk', () => {
  test('an append torn half-way is never read back, and the next append cuts it off first', async () => {
    const store = new FileGoalStore(tempDir('longhaul-store-'));
    await store.appendLedger('g', [{ n: 1 }, { n: 2 }]);
    const file = path.join(goalDir(store.home, 'g'), 'ledger.jsonl');
    appendFileSync(file, '{"n":3,"val'); // what a full disk leaves behind
    expect(await store.readLedger('g')).toEqual([{ n: 1 }, { n: 2 }]);
    await store.appendLedger('g', [{ n: 3 }]); // the retry of the torn append
    expect(await store.readLedger('g')).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
  });

  test('a torn first line (no newline in the file at all) is dropped too', async () => {
    const store = new FileGoalStore(tempDir('longhaul-store-'));
    mkdirSync(goalDir(store.home, 'g'), { recursive: true });
    writeFileSync(path.join(goalDir(store.home, 'g'), 'ledger.jsonl'), '{"n":1,"va');
    expect(await store.readLedger('g')).toEqual([]);
    await store.appendLedger('g', [{ n: 1 }]);
    expect(await store.readLedger('g')).toEqual([{ n: 1 }]);
  });

  test('a write that fails leaves no temp file behind and the target as it was', async () => {
    const store = new FileGoalStore(tempDir('longhaul-store-'));
    // summary.json is a (non-empty) folder: the write of the temp file works, the rename over it fails.
    const target = path.join(goalDir(store.home, 'g'), 'summary.json');
    mkdirSync(path.join(target, 'x'), { recursive: true });
    await expect(store.writeSummary('g', { through: 1, text: 's', at: 'now' })).rejects.toThrow();
    expect(readdirSync(goalDir(store.home, 'g'))).toEqual(['summary.json']);
    expect(existsSync(path.join(target, 'x'))).toBe(true);
  });
});

describe('a goal whose store writes fail for a while', () => {
  const suite = useServerAndFake();

  test('the tool-call activity retries until the disk is back; the goal ends achieved, the result whole', async () => {
    const ws = scoreWorkspace(0);
    const h = await createHarness(suite.env, suite.fake);
    let blocker: string | null = null;
    suite.fake.setScript(() => {
      if (suite.fake.requests.length === 2) {
        // Turn 2's results folder cannot be created (a file is in the way) until the "disk" comes back 2.5 s later.
        const dir = goalDir(h.home, 'disk-fails');
        blocker = path.join(dir, 'turns', '000002.results');
        mkdirSync(path.dirname(blocker), { recursive: true });
        writeFileSync(blocker, 'not a folder');
        setTimeout(() => rmSync(blocker!, { force: true }), 2500);
        return writeScore(9);
      }
      return writeScore(3);
    });
    const { outcome, description } = await runGoal(
      h,
      { objective: 'Raise the score', workspace: ws, metrics: [scoreMetric(9)], ...NO_FINISHING },
      'disk-fails',
    );
    expect(blocker).not.toBeNull();
    expect(outcome).toMatchObject({ status: 'achieved', turns: 2 });
    // The failed attempts are in the history: the activity was retried, not the goal failed.
    const history = await suite.env.client.workflow.getHandle('disk-fails').fetchHistory();
    const attempts = (history.events ?? [])
      .filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 1);
    expect(Math.max(...attempts)).toBeGreaterThan(1);
    expect(description.status.name).toBe('COMPLETED');
    // What is stored parses: no torn or temp files left in the goal's turns.
    const turns = path.join(goalDir(h.home, 'disk-fails'), 'turns');
    const leftovers = readdirSync(turns, { recursive: true }).map(String);
    expect(leftovers.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    for (const f of leftovers.filter((x) => x.endsWith('.json'))) {
      expect(() => JSON.parse(readFileSync(path.join(turns, f), 'utf8')) as unknown).not.toThrow();
    }
  }, 120_000);
});
