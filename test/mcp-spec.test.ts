import { InvalidSpecError, parseGoalSpec } from '../goal/spec';
import { envReferences, mcpTurnInputOf, parseMcpToolName } from '../goal/mcp';

const base = { objective: 'x', workspace: '.', checks: [{ name: 'a', command: 'true' }] } as const;

function problems(mcp: unknown): string[] {
  try {
    parseGoalSpec({ ...base, mcp });
  } catch (err) {
    if (err instanceof InvalidSpecError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('the mcp section of a goal spec', () => {
  test('a stdio and a url server validate, with the default timeout', () => {
    const spec = parseGoalSpec({
      ...base,
      mcp: [
        { name: 'files', command: 'npx', args: ['-y', 'server', '--token=${GH_MCP_TOKEN}'], env: { A: 'x${B}y' } },
        { name: 'web-search', url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer ${MCP_TOKEN}' } },
      ],
    });
    expect(spec.mcp).toEqual([
      expect.objectContaining({ name: 'files', command: 'npx', timeoutSeconds: 300 }),
      expect.objectContaining({ name: 'web-search', url: 'https://mcp.example.com/mcp', timeoutSeconds: 300 }),
    ]);
  });

  test('duplicate names are refused, also in another case', () => {
    expect(
      problems([
        { name: 'files', command: 'a' },
        { name: 'Files', url: 'http://127.0.0.1:1/mcp' },
      ]),
    ).toEqual([
      'mcp[1].name: duplicate MCP server name "Files": each server needs its own name (its tools are Files__TOOL)',
    ]);
  });

  test.each(['a__b', 'files_', '1files', 'with space', 'dot.ted', 'x'.repeat(33)])(
    'the server name %j is refused with how names are formed',
    (name) => {
      const [problem, ...rest] = problems([{ name, command: 'node' }]);
      expect(rest).toEqual([]);
      expect(problem).toMatch(/^mcp\[0\]\.name: an MCP server name /);
    },
  );

  test('both a command and a url, or neither, is refused', () => {
    expect(problems([{ name: 'a', command: 'node', url: 'http://127.0.0.1:1/mcp' }])).toEqual([
      'mcp[0].url: an MCP server has either a command (stdio) or a url (streamable HTTP), not both: remove one',
    ]);
    expect(problems([{ name: 'a' }])).toEqual([
      'mcp[0].command: an MCP server needs a command (stdio, e.g. command: npx) or a url (streamable HTTP)',
    ]);
  });

  test('stdio fields on a url server and headers on a stdio server are refused', () => {
    expect(problems([{ name: 'a', url: 'http://127.0.0.1:1/mcp', cwd: '.', env: {} }])).toEqual([
      'mcp[0].env: env is for a stdio server (command): a url server takes headers',
      'mcp[0].cwd: cwd is for a stdio server (command): a url server takes headers',
    ]);
    expect(problems([{ name: 'a', command: 'node', headers: { A: 'b' } }])).toEqual([
      'mcp[0].headers: headers are for a url server: a stdio server (command) takes env',
    ]);
  });

  test('references to the worker credentials, malformed references and non-http urls are refused', () => {
    expect(problems([{ name: 'a', command: 'node', env: { K: '${OPENAI_API_KEY}', J: '${a-b}', L: 'x${Y' } }])).toEqual(
      [
        "mcp[0].env.K: ${OPENAI_API_KEY} is one of the worker's own credentials (model, Slack, Temporal, encryption keys): it is never handed to an MCP server",
        'mcp[0].env.J: "${a-b}" is not a reference to an environment variable: write ${NAME}, NAME of letters, digits and "_"',
        'mcp[0].env.L: an unterminated "${": write ${NAME} to use the worker\'s variable NAME',
      ],
    );
    expect(problems([{ name: 'a', url: 'ftp://example.com/x' }])).toEqual([
      'mcp[0].url: url must be an http(s) URL of a streamable HTTP MCP endpoint',
    ]);
    expect(problems([{ name: 'a', command: 'node', unknown: 1 }])).toEqual([
      'mcp[0]: unknown field "unknown": remove or fix the spelling',
    ]);
  });

  test('a tool name splits at the first "__"; built-in names are no MCP names', () => {
    expect(parseMcpToolName('files__read__all')).toEqual({ server: 'files', tool: 'read__all' });
    expect(parseMcpToolName('read_file')).toBeNull();
    expect(parseMcpToolName('__x')).toBeNull();
    expect(parseMcpToolName('x__')).toBeNull();
    expect(envReferences('a${B}c${D_E}')).toEqual(['B', 'D_E']);
  });

  test('the model turn gets the servers with the sandbox and env.allow they start with; nothing without servers', () => {
    const spec = parseGoalSpec({
      ...base,
      mcp: [{ name: 'a', command: 'node' }],
      env: { allow: ['GH_TOKEN'] },
      sandbox: 'off',
    });
    expect(mcpTurnInputOf(spec)).toEqual({ mcp: spec.mcp, allowEnv: ['GH_TOKEN'], sandbox: 'off' });
    expect(mcpTurnInputOf(parseGoalSpec(base))).toEqual({});
  });
});
