/**
 * The file goal store: the shared contract (test/helpers/store-contract.ts), then what only files have: the
 * layout on disk, no temp files left, stray files ignored, blob paths for humans; and the host-local goal files
 * (common/goal-files.ts): the goal folder's name and the tool pid records.
 */
import { promises as fs, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { goalDir, readToolPid, writeToolPidSync } from '../common/goal-files';
import { FileGoalStore } from '../activities/store/files';
import { tempDirsRemovedAfterAll } from './helpers/temp-dirs';
import { assistant, call, describeGoalStoreContract, result, storedTurn } from './helpers/store-contract';

const tempDir = tempDirsRemovedAfterAll('longhaul-store-');

const G = 'goal-1';

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

describeGoalStoreContract('FileGoalStore', () => new FileGoalStore(tempDir()));

describe('FileGoalStore on disk', () => {
  test('describes itself by its folder', () => {
    const home = tempDir();
    expect(new FileGoalStore(home).description).toBe(home);
  });

  test('rewriting a turn leaves one file and no temp files', async () => {
    const store = new FileGoalStore(tempDir());
    await store.writeTurn(G, storedTurn(3, [assistant('first attempt')]));
    await store.writeTurn(G, storedTurn(3, [assistant('second attempt')]));
    expect(filesUnder(goalDir(store.home, G))).toEqual([path.join('turns', '000003.json')]);
  });

  test('the layout: turns, results, blobs, ledger, summary, manifest and asks under goals/<goal>', async () => {
    const store = new FileGoalStore(tempDir());
    await store.writeTurn(G, storedTurn(17, [call('c1')]));
    await store.writeToolResult(G, 17, result('c1', 'out'));
    const ref = await store.putBlob(G, 'full output');
    await store.appendLedger(G, [{ n: 1 }]);
    await store.writeSummary(G, { through: 1, text: 's', at: 'now' });
    await store.writeProtectedManifest(G, { patterns: [], files: {} });
    await store.appendAsk(G, { at: 'now', turn: 1, question: 'q', answer: 'a' });
    expect(filesUnder(path.join(store.home, 'goals', G))).toEqual(
      [
        'asks.jsonl',
        path.join('blobs', `${ref.slice(5)}.txt`),
        'ledger.jsonl',
        'protected.json',
        'summary.json',
        path.join('turns', '000017.json'),
        path.join('turns', '000017.results', 'c1.json'),
      ].sort(),
    );
  });

  test('readTurns ignores tool-result folders and stray files in the turns folder', async () => {
    const store = new FileGoalStore(tempDir());
    await store.writeTurn(G, storedTurn(1, [call('c1')]));
    await store.writeToolResult(G, 1, result('c1', 'out'));
    const turns = path.join(goalDir(store.home, G), 'turns');
    writeFileSync(path.join(turns, '000002.json.abc123.tmp'), '{');
    writeFileSync(path.join(turns, 'notes.json'), '{}');
    expect((await store.readTurns(G, 10)).map((t) => t.turn)).toEqual([1]);
  });

  test('a corrupt turn file is an error, not a missing turn', async () => {
    const store = new FileGoalStore(tempDir());
    await store.writeTurn(G, storedTurn(1, []));
    writeFileSync(path.join(goalDir(store.home, G), 'turns', '000001.json'), '{ not json');
    await expect(store.readTurn(G, 1)).rejects.toThrow(SyntaxError);
  });

  test('one file per blob, and its path for humans', async () => {
    const store = new FileGoalStore(tempDir());
    const ref = await store.putBlob(G, 'line\n'.repeat(100));
    await store.putBlob(G, 'line\n'.repeat(100));
    await store.putBlob(G, 'other');
    expect(filesUnder(path.join(goalDir(store.home, G), 'blobs'))).toHaveLength(2);
    expect(store.blobPath(G, ref)).toBe(path.join(goalDir(store.home, G), 'blobs', `${ref.slice(5)}.txt`));
    expect(() => store.blobPath(G, 'blob:../x')).toThrow('not a blob reference: blob:../x');
  });

  test('the ledger is JSON lines', async () => {
    const store = new FileGoalStore(tempDir());
    await store.appendLedger(G, [{ metric: 'm', value: 1 }, { metric: 'm', value: 2 }]); // prettier-ignore
    await store.appendLedger(G, [{ check: 'c', passed: true }]);
    const text = await fs.readFile(path.join(goalDir(store.home, G), 'ledger.jsonl'), 'utf8');
    expect(text).toBe('{"metric":"m","value":1}\n{"metric":"m","value":2}\n{"check":"c","passed":true}\n');
  });
});

describe('goal files (host-local)', () => {
  test('a plain goal id is its folder name under goals/', () => {
    const home = tempDir();
    expect(goalDir(home, 'goal-2025.01_x')).toBe(path.join(home, 'goals', 'goal-2025.01_x'));
  });

  test('odd goal ids map to distinct, safe folder names inside goals/', () => {
    const home = tempDir();
    const odd = ['../escape', 'a/b', '.hidden', '..', '', 'x'.repeat(129), 'naïve', 'a b'];
    const dirs = odd.map((id) => goalDir(home, id));
    for (const dir of dirs) {
      expect(path.dirname(dir)).toBe(path.join(home, 'goals'));
      expect(path.basename(dir)).toMatch(/^x-[0-9a-f]{32}$/);
    }
    expect(new Set(dirs).size).toBe(odd.length);
    expect(goalDir(home, '../escape')).toBe(goalDir(home, '../escape'));
  });

  test('a tool pid is remembered per call on this host; none recorded is null, and it does not shadow the result', async () => {
    const store = new FileGoalStore(tempDir());
    expect(await readToolPid(store.home, G, 1, 'c1')).toBeNull();
    writeToolPidSync(store.home, G, 1, 'c1', 4242);
    expect(await readToolPid(store.home, G, 1, 'c1')).toBe(4242);
    expect(await readToolPid(store.home, G, 1, 'c2')).toBeNull();
    expect(await store.readToolResult(G, 1, 'c1')).toBeNull();
  });

  test('a pid record cut short (a full disk) names no process', async () => {
    const home = tempDir();
    writeToolPidSync(home, G, 1, 'c1', 4242);
    const file = path.join(goalDir(home, G), 'turns', '000001.results', 'c1.json.pid');
    writeFileSync(file, '{"pi');
    expect(await readToolPid(home, G, 1, 'c1')).toBeNull();
    writeFileSync(file, '{"pid":"4242"}');
    expect(await readToolPid(home, G, 1, 'c1')).toBeNull();
  });

  test('odd call ids: results and pid records stay inside the goal folder, beside each other, and read back', async () => {
    const home = tempDir();
    const store = new FileGoalStore(home);
    const ids = ['../../../../pwned', 'call/0', '.pid', 'c'.repeat(300)];
    for (const id of ids) {
      await store.writeToolResult('../goal', 1, result(id, `out ${id.length}`));
      writeToolPidSync(home, '../goal', 1, id, 7);
    }
    for (const id of ids) {
      expect((await store.readToolResult('../goal', 1, id))?.output).toBe(`out ${id.length}`);
      expect(await readToolPid(home, '../goal', 1, id)).toBe(7);
    }
    const dir = goalDir(home, '../goal');
    expect(readdirSync(home)).toEqual(['goals']);
    expect(readdirSync(path.join(home, 'goals'))).toEqual([path.basename(dir)]);
    const files = filesUnder(dir);
    expect(files).toHaveLength(ids.length * 2);
    for (const f of files) expect(f).toMatch(/^turns\/000001\.results\/x-[0-9a-f]{32}\.json(\.pid)?$/);
  });
});
