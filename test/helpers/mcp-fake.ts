/**
 * The fake MCP server (test/fakes/mcp-server.ts) as a program node can run: transpiled once per test process into
 * node_modules/.cache, inside the repository (so its imports resolve, and the sandbox's read-only root shows it).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const SOURCE = path.resolve(__dirname, '..', 'fakes', 'mcp-server.ts');
const OUT_DIR = path.resolve(__dirname, '..', '..', 'node_modules', '.cache', 'longhaul-test-fakes');

let built: string | undefined;

/** The path of the runnable fake (`node <path> <tag>`; the tag is only there for `ps`). */
export function fakeMcpServer(): string {
  if (built) return built;
  const out = ts.transpileModule(readFileSync(SOURCE, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  mkdirSync(OUT_DIR, { recursive: true });
  // Named by its content: test files in parallel share it, and an edited fake gets a new file.
  const digest = createHash('sha256').update(out.outputText).digest('hex').slice(0, 16);
  const file = path.join(OUT_DIR, `mcp-server-${digest}.js`);
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, out.outputText);
  renameSync(partial, file);
  built = file;
  return file;
}
