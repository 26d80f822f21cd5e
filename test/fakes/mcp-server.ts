/**
 * A small MCP server for tests, over stdio, built with the SDK's McpServer. Run with node after transpiling
 * (test/helpers/mcp-fake.ts). Every start and call is appended to the file FAKE_MCP_LOG, so tests count starts and
 * calls across restarts. With FAKE_MCP_HANG_FIRST=1 the first `slow` call (counted in the log) never answers.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const log = process.env.FAKE_MCP_LOG;

function record(line: string): void {
  if (log) appendFileSync(log, `${line}\n`);
}

function logged(prefix: string): number {
  if (!log) return 0;
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(prefix)).length;
}

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

const server = new McpServer({ name: 'fake', version: '1.0.0' });

server.registerTool(
  'echo',
  { description: 'Echoes the text back.', inputSchema: { text: z.string().describe('what to echo') } },
  ({ text: t }) => {
    record(`echo ${t}`);
    return text(`echo: ${t}`);
  },
);

server.registerTool('record', { description: 'Records an id.', inputSchema: { id: z.string() } }, ({ id }) => {
  record(`record ${id}`);
  return text(`recorded ${id}`);
});

server.registerTool(
  'slow',
  { description: 'Answers, except the first call with FAKE_MCP_HANG_FIRST=1.', inputSchema: { id: z.string() } },
  async ({ id }) => {
    record(`slow ${id}`);
    if (process.env.FAKE_MCP_HANG_FIRST === '1' && logged('slow ') === 1) await new Promise(() => undefined);
    return text(`slow ${id} done`);
  },
);

server.registerTool('read', { description: 'Reads a file.', inputSchema: { path: z.string() } }, ({ path }) => {
  try {
    return text(readFileSync(path, 'utf8'));
  } catch (err) {
    return { isError: true, content: [{ type: 'text' as const, text: String(err) }] };
  }
});

server.registerTool(
  'env',
  { description: 'A variable of its environment.', inputSchema: { name: z.string() } },
  ({ name }) => text(`${name}=${process.env[name] ?? '(unset)'}`),
);

server.registerTool('big', { description: 'A long output.', inputSchema: { chars: z.number().int() } }, ({ chars }) =>
  text(`BEGIN${'x'.repeat(Math.max(0, chars - 6))}END`),
);

server.registerTool('grow', { description: 'Adds the tool `late` (the list changes).' }, () => {
  server.registerTool('late', { description: 'Added late.' }, () => text('late tool answered'));
  return text('added late');
});

async function main(): Promise<void> {
  record(`start ${process.argv[2] ?? ''}`);
  await server.connect(new StdioServerTransport());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
