/**
 * A loopback fake of GitHub's REST and GraphQL APIs for pull requests, served under GitHub Enterprise Server's paths
 * (`/api/v3` for REST, `/api/graphql`), so the real `@octokit/rest` client runs unchanged against
 * `GITHUB_API_URL=fake.apiUrl` and derives its GraphQL endpoint as it does for an Enterprise server.
 *
 * Implements what GitHub does for these calls (per docs.github.com/rest/pulls and the GraphQL reference):
 * `GET /repos/{o}/{r}`; `GET /repos/{o}/{r}/pulls` with `head=owner:branch`, `state` (open, closed, all; default
 * open), newest first; `POST /repos/{o}/{r}/pulls` (422 "A pull request already exists for owner:branch." while an
 * open one exists for the head, 422 when the base or the head branch is missing); `GET`/`PATCH
 * /repos/{o}/{r}/pulls/{n}` (PATCH takes title, body, state, base, and ignores `draft`: REST cannot un-draft); and
 * the GraphQL mutation `markPullRequestReadyForReview(input: {pullRequestId})` by the pull request's `node_id`. Every
 * call needs the token (`Authorization: token …` or `Bearer …`; 401 "Bad credentials" otherwise). Calls are
 * recorded; faults are scripted per route: 403 with `retry-after` (secondary rate limit), 403 with an exhausted
 * `x-ratelimit-remaining` and `x-ratelimit-reset` (primary), any status, a call that lands but is never answered,
 * and a list that does not show a new pull request yet.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './http';

/** The routes faults are scripted for. */
export type GitHubRoute = 'repo' | 'listPulls' | 'createPull' | 'getPull' | 'updatePull' | 'graphql';

export type GitHubFault =
  /** 403 with `retry-after: <seconds>`, as GitHub's secondary rate limit answers. */
  | { readonly secondaryRateLimit: number }
  /** 403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (epoch seconds), as the primary rate limit answers. */
  | { readonly primaryRateLimitReset: number }
  /** That status with GitHub's JSON error body. */
  | { readonly status: number; readonly message?: string }
  /** The call takes effect, then its answer never comes (until the server closes): a crash or a lost answer. */
  | { readonly landsThenHangs: true }
  /** A list that does not show a pull request opened a moment ago yet (GitHub's search is eventually consistent). */
  | { readonly staleEmptyList: true };

export interface FakePull {
  number: number;
  node_id: string;
  title: string;
  body: string | null;
  head: string;
  base: string;
  state: 'open' | 'closed';
  draft: boolean;
  created_at: string;
  updated_at: string;
}

export interface GitHubCall {
  readonly method: string;
  readonly route: GitHubRoute | 'unknown';
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: unknown;
}

export interface FakeGitHubOptions {
  /** The only token accepted. @default 'ghp_fakeGitHubToken0123456789abcdef' */
  readonly token?: string;
  /** The repository served. @default 'acme/app' */
  readonly repo?: string;
  /** @default 'main' */
  readonly defaultBranch?: string;
  /** Whether a branch exists on the repository (GitHub refuses a pull request whose head is not pushed). @default all do */
  readonly branchExists?: (branch: string) => boolean;
}

export const FAKE_GITHUB_TOKEN = 'ghp_fakeGitHubToken0123456789abcdef';

export class FakeGitHub {
  readonly pulls: FakePull[] = [];
  readonly calls: GitHubCall[] = [];
  private readonly faults = new Map<GitHubRoute, GitHubFault[]>();
  private readonly hanging = new Set<ServerResponse>();
  /** Called when a call has landed (after it took effect), with its route: tests wait on it. */
  onLanded: ((route: GitHubRoute) => void) | null = null;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: Required<Omit<FakeGitHubOptions, 'branchExists'>> &
      Pick<FakeGitHubOptions, 'branchExists'>,
  ) {}

  static async start(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
    const ref: { fake?: FakeGitHub } = {};
    const server = createServer((req, res) => {
      void ref.fake!.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: String(err) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeGitHub(server, `http://127.0.0.1:${port}`, {
      token: options.token ?? FAKE_GITHUB_TOKEN,
      repo: options.repo ?? 'acme/app',
      defaultBranch: options.defaultBranch ?? 'main',
      branchExists: options.branchExists,
    });
    ref.fake = fake;
    return fake;
  }

  /** GITHUB_API_URL for this fake: a GitHub Enterprise Server base URL. */
  get apiUrl(): string {
    return `${this.url}/api/v3`;
  }

  /** The next calls of `route` fail with these faults, one each, in order. */
  fail(route: GitHubRoute, ...faults: GitHubFault[]): void {
    this.faults.set(route, [...(this.faults.get(route) ?? []), ...faults]);
  }

  /** Forgets pull requests, calls and faults (between tests). */
  reset(): void {
    this.pulls.length = 0;
    this.calls.length = 0;
    this.faults.clear();
    this.onLanded = null;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const text = await readBody(req);
    const body: unknown = text ? JSON.parse(text) : null;
    const { route, params } = this.routeOf(req.method ?? 'GET', url.pathname);
    this.calls.push({
      method: req.method ?? 'GET',
      route,
      path: url.pathname + url.search,
      authorization: req.headers.authorization,
      body,
    });
    if (route === 'unknown') return send(res, 404, { message: 'Not Found' });
    const auth = req.headers.authorization ?? '';
    if (auth !== `token ${this.options.token}` && auth !== `Bearer ${this.options.token}`) {
      return send(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }
    if (params.repo !== undefined && params.repo !== this.options.repo) return send(res, 404, { message: 'Not Found' });

    const fault = this.faults.get(route)?.shift();
    if (fault && 'staleEmptyList' in fault) return send(res, 200, []);
    if (fault && !('landsThenHangs' in fault)) return sendFault(res, fault);
    const [status, answer] = this.answer(route, params, url.searchParams, body);
    if (fault) {
      // It took effect; the answer is lost.
      this.hanging.add(res);
      this.onLanded?.(route);
      return;
    }
    send(res, status, answer);
    this.onLanded?.(route);
  }

  private routeOf(
    method: string,
    pathname: string,
  ): { route: GitHubRoute | 'unknown'; params: Record<string, string> } {
    if (method === 'POST' && (pathname === '/api/graphql' || pathname === '/graphql'))
      return { route: 'graphql', params: {} };
    const m = /^(?:\/api\/v3)?\/repos\/([^/]+)\/([^/]+)(\/pulls(?:\/(\d+))?)?\/?$/.exec(pathname);
    if (!m) return { route: 'unknown', params: {} };
    const params: Record<string, string> = { repo: `${m[1]}/${m[2]}` };
    if (m[4]) params.number = m[4];
    if (!m[3]) return { route: method === 'GET' ? 'repo' : 'unknown', params };
    if (!m[4]) return { route: method === 'GET' ? 'listPulls' : method === 'POST' ? 'createPull' : 'unknown', params };
    return { route: method === 'GET' ? 'getPull' : method === 'PATCH' ? 'updatePull' : 'unknown', params };
  }

  private answer(
    route: GitHubRoute,
    params: Record<string, string>,
    query: URLSearchParams,
    body: unknown,
  ): [number, unknown] {
    const [owner] = this.options.repo.split('/');
    const b = (body ?? {}) as Record<string, unknown>;
    switch (route) {
      case 'repo':
        return [
          200,
          {
            id: 1,
            name: this.options.repo.split('/')[1],
            full_name: this.options.repo,
            default_branch: this.options.defaultBranch,
            private: true,
          },
        ];
      case 'listPulls': {
        const state = query.get('state') ?? 'open';
        const head = query.get('head');
        const list = this.pulls
          .filter((p) => state === 'all' || p.state === state)
          .filter((p) => head === null || `${owner}:${p.head}` === head)
          .sort((a, c) => c.number - a.number);
        return [200, list.map((p) => this.json(p))];
      }
      case 'createPull': {
        const head = typeof b.head === 'string' ? b.head : '';
        const base = typeof b.base === 'string' ? b.base : '';
        const headName = head.includes(':') ? head.slice(head.indexOf(':') + 1) : head;
        if (typeof b.title !== 'string' || b.title === '')
          return validationFailed({ resource: 'PullRequest', code: 'missing_field', field: 'title' });
        if (this.pulls.some((p) => p.head === headName && p.state === 'open')) {
          return validationFailed({
            resource: 'PullRequest',
            code: 'custom',
            message: `A pull request already exists for ${owner}:${headName}.`,
          });
        }
        if (this.options.branchExists && !this.options.branchExists(headName)) {
          return validationFailed({ resource: 'PullRequest', code: 'invalid', field: 'head' });
        }
        if (base !== this.options.defaultBranch && !(this.options.branchExists?.(base) ?? false)) {
          return validationFailed({ resource: 'PullRequest', code: 'invalid', field: 'base' });
        }
        const number = this.pulls.length + 1;
        const now = new Date().toISOString();
        const pull: FakePull = {
          number,
          node_id: `PR_kwFake${number}`,
          title: b.title,
          body: typeof b.body === 'string' ? b.body : null,
          head: headName,
          base,
          state: 'open',
          draft: b.draft === true,
          created_at: now,
          updated_at: now,
        };
        this.pulls.push(pull);
        return [201, this.json(pull)];
      }
      case 'getPull':
      case 'updatePull': {
        const pull = this.pulls.find((p) => p.number === Number(params.number));
        if (!pull) return [404, { message: 'Not Found' }];
        if (route === 'updatePull') {
          if (typeof b.title === 'string') pull.title = b.title;
          if (typeof b.body === 'string') pull.body = b.body;
          if (b.state === 'open' || b.state === 'closed') pull.state = b.state;
          if (typeof b.base === 'string') pull.base = b.base;
          pull.updated_at = new Date().toISOString(); // `draft` is not a field PATCH changes
        }
        return [200, this.json(pull)];
      }
      case 'graphql': {
        const q = typeof b.query === 'string' ? b.query : '';
        const id = (b.variables as Record<string, unknown> | undefined)?.id;
        if (!/markPullRequestReadyForReview\s*\(\s*input\s*:\s*\{\s*pullRequestId\s*:\s*\$id\s*\}/.test(q)) {
          return [
            200,
            {
              errors: [{ message: 'this fake knows only markPullRequestReadyForReview(input: {pullRequestId: $id})' }],
            },
          ];
        }
        const pull = this.pulls.find((p) => p.node_id === id);
        if (!pull) {
          return [
            200,
            {
              data: null,
              errors: [
                {
                  type: 'NOT_FOUND',
                  path: ['markPullRequestReadyForReview'],
                  message: `Could not resolve to a node with the global id of '${String(id)}'`,
                },
              ],
            },
          ];
        }
        if (pull.state !== 'open') {
          return [200, { data: null, errors: [{ type: 'UNPROCESSABLE', message: 'Pull request is closed' }] }];
        }
        pull.draft = false;
        pull.updated_at = new Date().toISOString();
        return [200, { data: { markPullRequestReadyForReview: { pullRequest: { isDraft: false } } } }];
      }
    }
  }

  private json(p: FakePull): Record<string, unknown> {
    const [owner, name] = this.options.repo.split('/');
    return {
      id: p.number * 1000,
      node_id: p.node_id,
      number: p.number,
      html_url: `https://github.example/${owner}/${name}/pull/${p.number}`,
      url: `${this.apiUrl}/repos/${owner}/${name}/pulls/${p.number}`,
      state: p.state,
      draft: p.draft,
      title: p.title,
      body: p.body,
      head: { ref: p.head, label: `${owner}:${p.head}` },
      base: { ref: p.base, label: `${owner}:${p.base}` },
      merged: false,
      created_at: p.created_at,
      updated_at: p.updated_at,
    };
  }
}

function validationFailed(error: Record<string, unknown>): [number, unknown] {
  return [
    422,
    {
      message: 'Validation Failed',
      errors: [error],
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
    },
  ];
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function sendFault(
  res: ServerResponse,
  fault: Exclude<GitHubFault, { landsThenHangs: true } | { staleEmptyList: true }>,
): void {
  if ('secondaryRateLimit' in fault) {
    return send(
      res,
      403,
      {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
      },
      { 'retry-after': String(fault.secondaryRateLimit) },
    );
  }
  if ('primaryRateLimitReset' in fault) {
    return send(
      res,
      403,
      {
        message: 'API rate limit exceeded for user ID 1.',
        documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
      },
      {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(fault.primaryRateLimitReset),
      },
    );
  }
  send(res, fault.status, { message: fault.message ?? 'Error', documentation_url: 'https://docs.github.com/rest' });
}
