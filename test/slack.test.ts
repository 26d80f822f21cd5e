/**
 * Slack progress tracking on the real `@slack/web-api` client against the loopback fake: one parent per goal updated
 * in place, each event posted exactly once (also after a call that landed but whose answer was lost), how every
 * failure becomes a Temporal ApplicationFailure, that the token never leaks, and the rendering itself.
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  EVENT_EVENT_TYPE,
  PARENT_EVENT_TYPE,
  slackConfigFromEnv,
  syncSlack,
  type SlackDeps,
  type SlackSyncInput,
  type SlackSyncResult,
} from '../activities/reporting/slack/notifier';
import {
  cap,
  escapeMrkdwn,
  progressBar,
  renderEvent,
  renderStatus,
  SLACK_EVENT_KINDS,
  SLACK_LIMITS,
  type SlackEvent,
  type SlackEventKind,
  type SlackStatus,
} from '../activities/reporting/slack/render';
import { FakeSlack, type FakeMessage } from './fakes/slack-server';

/** Distinctive, so a leak anywhere is found by a plain substring scan. */
const TOKEN = 'xoxb-1111-2222-LEAKCANARY-9f8e7d6c5b4a';
const CHANNEL = 'C0LONGHAUL1';
const GOAL = 'goal-build-time';

function status(overrides: Partial<SlackStatus> = {}): SlackStatus {
  return {
    goalId: GOAL,
    objective: 'Reduce the build time of this app by 30% without breaking anything.',
    status: 'running',
    phase: 'working',
    turn: 17,
    maxTurns: 50,
    progress: 0.62,
    metrics: [
      {
        name: 'build_seconds',
        direction: 'lower',
        baseline: 92.13,
        best: 61.4,
        latest: 63,
        target: 64.49,
        verdict: 'MET',
      },
    ],
    budget: 'turns 17/50 · tokens 120k/1M · $1.20/$20',
    paused: false,
    reason: null,
    updatedAt: Date.UTC(2024, 10, 25, 14, 5),
    ...overrides,
  };
}

function event(n: number, kind: SlackEventKind = 'new_best', text = `event number ${n}`): SlackEvent {
  return { key: `ev-${n}`, kind, text, at: Date.now() - 1000 };
}

function input(overrides: Partial<SlackSyncInput> = {}): SlackSyncInput {
  return { goalId: GOAL, channel: CHANNEL, parentTs: null, status: status(), events: [], ...overrides };
}

/** The event keys in the thread, in order, from the replies' metadata. */
function replyKeys(fake: FakeSlack, parentTs: string): string[] {
  return fake.replies(CHANNEL, parentTs).map((m) => String(m.metadata?.event_payload['key']));
}

/** Top-level messages that are this goal's parent. */
function goalParents(fake: FakeSlack, goalId = GOAL): FakeMessage[] {
  return fake
    .parents(CHANNEL)
    .filter((m) => m.metadata?.event_type === PARENT_EVENT_TYPE && m.metadata.event_payload['goal_id'] === goalId);
}

/** Runs `p` expecting an ApplicationFailure. */
async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

type TextObject = { type: string; text: string };

/**
 * The texts of a message Slack parses as mrkdwn: the fallback, and each block's mrkdwn text and context elements.
 * (plain_text, as in the header, is shown verbatim: `<!channel>` there is just characters.)
 */
function mrkdwnTexts(message: { text: string; blocks?: unknown[] }): string[] {
  const texts = [message.text];
  for (const block of (message.blocks ?? []) as { text?: TextObject; elements?: TextObject[] }[]) {
    for (const t of [block.text, ...(block.elements ?? [])]) if (t?.type === 'mrkdwn') texts.push(t.text);
  }
  return texts;
}

let fake: FakeSlack;
let deps: SlackDeps;
beforeEach(async () => {
  fake = await FakeSlack.start({
    token: TOKEN,
    channels: [
      { id: CHANNEL, name: 'longhaul' },
      { id: 'C0OUTSIDE01', name: 'outside', isMember: false },
    ],
  });
  deps = { token: TOKEN, apiUrl: fake.url };
});
afterEach(async () => {
  await fake.close();
});

describe('the parent message', () => {
  it('is posted once per goal and then updated in place across syncs', async () => {
    let result = await syncSlack(deps, input());
    expect(result.channel).toBe(CHANNEL);
    for (const turn of [18, 19]) {
      result = await syncSlack(
        deps,
        input({ channel: result.channel, parentTs: result.parentTs, status: status({ turn }) }),
      );
    }
    const parents = fake.parents(CHANNEL);
    expect(parents).toHaveLength(1);
    expect(parents[0]!.ts).toBe(result.parentTs);
    expect(parents[0]!.metadata).toEqual({ event_type: PARENT_EVENT_TYPE, event_payload: { goal_id: GOAL } });
    expect(parents[0]!.text).toContain('turn 19/50');
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1);
    expect(fake.callsTo('chat.update')).toHaveLength(2);
    expect(fake.callsTo('chat.update').every((c) => c.args['ts'] === result.parentTs)).toBe(true);
  });

  it('is sent the way WebClient sends it: a form body with blocks and metadata as JSON strings, the token in a header', async () => {
    await syncSlack(deps, input());
    const post = fake.callsTo('chat.postMessage')[0]!;
    expect(post.contentType).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(post.raw);
    expect(JSON.parse(form.get('metadata')!)).toEqual({
      event_type: PARENT_EVENT_TYPE,
      event_payload: { goal_id: GOAL },
    });
    expect(Array.isArray(JSON.parse(form.get('blocks')!))).toBe(true);
    expect(post.auth).toBe('ok');
    expect(post.raw).not.toContain(TOKEN);
  });

  it('is found, not posted again, when the post landed but its answer was lost', async () => {
    fake.fail('chat.postMessage', { dropResponse: true });
    const err = await failureOf(syncSlack(deps, input()));
    expect(err.type).toBe('SlackUnavailable');
    expect(err.nonRetryable).toBe(false);
    expect(goalParents(fake)).toHaveLength(1); // it did land

    // Temporal retries the activity with the same input.
    const result = await syncSlack(deps, input({ events: [event(1, 'baseline')] }));
    expect(goalParents(fake)).toHaveLength(1);
    expect(result.parentTs).toBe(goalParents(fake)[0]!.ts);
    expect(result.posted).toEqual(['ev-1']);
  });

  it('is found across history pages, among other people’s messages and another goal’s parent', async () => {
    const first = await syncSlack(deps, input());
    await syncSlack(deps, input({ goalId: 'another-goal', status: status({ goalId: 'another-goal' }) }));
    for (let i = 0; i < 250; i++) fake.seed(CHANNEL, { text: `chatter ${i}` });

    const again = await syncSlack(deps, input());
    expect(again.parentTs).toBe(first.parentTs);
    expect(goalParents(fake)).toHaveLength(1);
    expect(goalParents(fake, 'another-goal')).toHaveLength(1);
    const history = fake.callsTo('conversations.history');
    expect(history.length).toBeGreaterThanOrEqual(2); // 252 messages at 200 a page
    expect(history.every((c) => c.args['include_all_metadata'] === 'true')).toBe(true);
  });

  it('is looked for only since the goal started when the start time is known', async () => {
    const startedAt = Date.now() - 60_000;
    const first = await syncSlack(deps, input({ startedAt }));
    const again = await syncSlack(deps, input({ startedAt }));
    expect(again.parentTs).toBe(first.parentTs);
    const history = fake.callsTo('conversations.history');
    expect(history).toHaveLength(2);
    for (const call of history) expect(Number(call.args['oldest'])).toBeCloseTo(startedAt / 1000 - 300, 3);
  });

  it('is replaced when someone deleted it, and the sync carries on', async () => {
    const first = await syncSlack(deps, input());
    fake.deleteMessage(CHANNEL, first.parentTs);
    const result = await syncSlack(deps, input({ parentTs: first.parentTs, events: [event(1)] }));
    expect(result.parentTs).not.toBe(first.parentTs);
    expect(goalParents(fake)).toHaveLength(1);
    expect(replyKeys(fake, result.parentTs)).toEqual(['ev-1']);
  });

  it('goes to a channel given by name, and the result names its ID', async () => {
    const result = await syncSlack(deps, input({ channel: '#longhaul' }));
    expect(result.channel).toBe(CHANNEL);
    expect(fake.callsTo('conversations.list')).toHaveLength(1);
    expect(goalParents(fake)).toHaveLength(1);
  });
});

describe('event replies', () => {
  it('are posted in order, each exactly once across repeated syncs', async () => {
    const first = await syncSlack(deps, input({ events: [event(1, 'baseline'), event(2, 'new_best')] }));
    expect(first.posted).toEqual(['ev-1', 'ev-2']);
    expect(first.alreadyPosted).toEqual([]);

    const next = { channel: first.channel, parentTs: first.parentTs };
    const second = await syncSlack(
      deps,
      input({ ...next, events: [event(1, 'baseline'), event(2, 'new_best'), event(3, 'milestone')] }),
    );
    expect(second.posted).toEqual(['ev-3']);
    expect(second.alreadyPosted).toEqual(['ev-1', 'ev-2']);
    const third = await syncSlack(deps, input({ ...next, events: [event(3, 'milestone'), event(3, 'milestone')] }));
    expect(third.posted).toEqual([]);
    expect(third.alreadyPosted).toEqual(['ev-3']);

    expect(replyKeys(fake, first.parentTs)).toEqual(['ev-1', 'ev-2', 'ev-3']);
    const replies = fake.replies(CHANNEL, first.parentTs);
    expect(replies.map((r) => r.text)).toEqual(['📏 event number 1', '🏆 event number 2', '📌 event number 3']);
    expect(replies[0]!.metadata).toEqual({
      event_type: EVENT_EVENT_TYPE,
      event_payload: { goal_id: GOAL, key: 'ev-1' },
    });
    expect(fake.parents(CHANNEL)).toHaveLength(1); // replies stay in the thread
  });

  it('are not posted twice when a reply landed but its answer was lost', async () => {
    const first = await syncSlack(deps, input());
    const again = input({ parentTs: first.parentTs, events: [event(1), event(2), event(3)] });
    fake.fail('chat.postMessage', { dropResponse: true });
    const err = await failureOf(syncSlack(deps, again));
    expect(err.nonRetryable).toBe(false);
    expect(replyKeys(fake, first.parentTs)).toEqual(['ev-1']);

    const retry = await syncSlack(deps, again);
    expect(retry.alreadyPosted).toEqual(['ev-1']);
    expect(retry.posted).toEqual(['ev-2', 'ev-3']);
    expect(replyKeys(fake, first.parentTs)).toEqual(['ev-1', 'ev-2', 'ev-3']);
  });

  it('are recognised across reply pages in a long thread', async () => {
    const first = await syncSlack(deps, input());
    for (let i = 0; i < 250; i++) {
      fake.seed(CHANNEL, {
        text: `old ${i}`,
        thread_ts: first.parentTs,
        user: 'U0FAKEBOT1',
        metadata: { event_type: EVENT_EVENT_TYPE, event_payload: { goal_id: GOAL, key: `ev-${i}` } },
      });
    }
    const events = Array.from({ length: 252 }, (_, i) => event(i));
    const result = await syncSlack(deps, input({ parentTs: first.parentTs, events }));
    expect(result.alreadyPosted).toHaveLength(250);
    expect(result.posted).toEqual(['ev-250', 'ev-251']);
    expect(fake.callsTo('conversations.replies').length).toBeGreaterThanOrEqual(2);
    expect(fake.replies(CHANNEL, first.parentTs)).toHaveLength(252);
  });

  it('of two goals in one channel do not mix, even with the same keys', async () => {
    const a = await syncSlack(deps, input({ events: [event(1)] }));
    const other = { goalId: 'goal-b', status: status({ goalId: 'goal-b' }) };
    const b = await syncSlack(deps, input({ ...other, events: [event(1)] }));
    expect(b.parentTs).not.toBe(a.parentTs);
    expect(b.posted).toEqual(['ev-1']);
    const bAgain = await syncSlack(deps, input({ ...other, parentTs: b.parentTs, events: [event(1)] }));
    expect(bAgain.alreadyPosted).toEqual(['ev-1']);
    expect(fake.replies(CHANNEL, a.parentTs)).toHaveLength(1);
    expect(fake.replies(CHANNEL, b.parentTs)).toHaveLength(1);
  });
});

describe('failures', () => {
  async function withParent(): Promise<SlackSyncResult> {
    return syncSlack(deps, input());
  }

  it('a 429 waits exactly as long as Slack asked', async () => {
    const first = await withParent();
    fake.fail('chat.update', { status: 429, retryAfter: 7 });
    const err = await failureOf(syncSlack(deps, input({ parentTs: first.parentTs })));
    expect(err.type).toBe('SlackRateLimited');
    expect(err.nonRetryable).toBe(false);
    expect(err.nextRetryDelay).toBe('7s');
    expect(err.message).toContain('chat.update');
  });

  it('a 429 without Retry-After is retryable and leaves the delay to the retry policy', async () => {
    fake.fail('*', { status: 429, retryAfter: null });
    const err = await failureOf(syncSlack(deps, input()));
    expect(err.type).toBe('SlackRateLimited');
    expect(err.nonRetryable).toBe(false);
    expect(err.nextRetryDelay).toBeUndefined();
  });

  it('a 500 is retryable, and so is Slack being down until it is up again', async () => {
    fake.fail('conversations.history', { status: 500 });
    let err = await failureOf(syncSlack(deps, input()));
    expect(err.type).toBe('SlackUnavailable');
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toContain('HTTP 500');

    fake.down();
    err = await failureOf(syncSlack(deps, input()));
    expect(err.type).toBe('SlackUnavailable');
    fake.up();
    await syncSlack(deps, input());
    expect(goalParents(fake)).toHaveLength(1);
  });

  it('a call that never answers times out as a retryable failure', async () => {
    fake.fail('conversations.history', { hang: true });
    const err = await failureOf(syncSlack({ ...deps, timeoutMs: 300 }, input()));
    expect(err.type).toBe('SlackUnavailable');
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toContain('in time');
    expect(fake.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('a body that is not JSON is a retryable failure', async () => {
    fake.fail('conversations.history', { malformed: true });
    const err = await failureOf(syncSlack(deps, input()));
    expect(err.type).toBe('SlackUnavailable');
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toContain('malformed');
  });

  it('an unreachable server is a retryable failure', async () => {
    await fake.close();
    const err = await failureOf(syncSlack(deps, input()));
    expect(err.type).toBe('SlackUnavailable');
    expect(err.nonRetryable).toBe(false);
    fake = await FakeSlack.start({ token: TOKEN }); // for afterEach
  });

  it('channel_not_found is permanent and says how to fix it', async () => {
    const err = await failureOf(syncSlack(deps, input({ channel: 'C0NOSUCH99' })));
    expect(err.type).toBe('SlackConfig');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('C0NOSUCH99');
    expect(err.message).toContain('SLACK_CHANNEL');
    expect(err.message).toContain('/invite');
  });

  it('a channel name the bot cannot see is permanent and says how to fix it', async () => {
    const err = await failureOf(syncSlack(deps, input({ channel: '#nope' })));
    expect(err.type).toBe('SlackConfig');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('#nope');
    expect(err.message).toContain('SLACK_CHANNEL');
  });

  it('not_in_channel says to invite the bot', async () => {
    const err = await failureOf(syncSlack(deps, input({ channel: 'C0OUTSIDE01' })));
    expect(err.type).toBe('SlackConfig');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('/invite @your-bot in C0OUTSIDE01');
  });

  it('missing_scope names the scope to add', async () => {
    fake.fail('conversations.history', { error: 'missing_scope', needed: 'channels:history' });
    const err = await failureOf(syncSlack(deps, input()));
    expect(err.type).toBe('SlackConfig');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('channels:history');
    expect(err.message).toContain('reinstall');
  });

  it('a wrong token is permanent, names SLACK_BOT_TOKEN and never shows the token', async () => {
    const wrong = 'xoxb-9999-WRONGTOKEN-CANARY';
    const err = await failureOf(syncSlack({ ...deps, token: wrong }, input()));
    expect(err.type).toBe('SlackConfig');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('SLACK_BOT_TOKEN');
    expect(err.message).toContain('invalid_auth');
    expect(`${err.message}${err.stack ?? ''}${JSON.stringify(err.details)}`).not.toContain(wrong);
  });

  it('Slack’s transient platform errors are retryable', async () => {
    fake.fail('conversations.history', { error: 'internal_error' });
    const err = await failureOf(syncSlack(deps, input()));
    expect(err.type).toBe('SlackUnavailable');
    expect(err.nonRetryable).toBe(false);
  });

  it('a request Slack rejects as invalid is permanent (a bug, not an outage)', async () => {
    fake.fail('chat.postMessage', { error: 'invalid_blocks' });
    const err = await failureOf(syncSlack(deps, input()));
    expect(err.type).toBe('SlackRequest');
    expect(err.nonRetryable).toBe(true);
  });
});

describe('the bot token', () => {
  it('never appears in a request body, a result, an error or a log line', async () => {
    const logged: string[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
      jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logged.push(args.map(String).join(' '));
      }),
    );
    const seen: string[] = [];
    const record = async (p: Promise<unknown>): Promise<void> => {
      try {
        seen.push(JSON.stringify(await p));
      } catch (err) {
        const e = err as ApplicationFailure;
        seen.push(e.message, e.stack ?? '', JSON.stringify(e.details ?? null), String(e.type));
      }
    };
    try {
      fake.fail('conversations.history', { malformed: true, echoAuth: true }); // a body quoting the header
      await record(syncSlack(deps, input()));
      fake.fail('conversations.history', { status: 503 });
      await record(syncSlack(deps, input()));
      fake.fail('conversations.history', { hang: true });
      await record(syncSlack({ ...deps, timeoutMs: 200 }, input()));
      fake.fail('chat.postMessage', { dropResponse: true });
      await record(syncSlack(deps, input()));
      await record(syncSlack(deps, input({ events: [event(1), event(2)] })));
      await record(syncSlack(deps, input({ channel: 'C0NOSUCH99' })));
      fake.fail('*', { status: 429, retryAfter: 2 });
      await record(syncSlack(deps, input()));
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(seen.some((s) => s.includes('malformed'))).toBe(true); // the scan covers the echoing failure
    for (const text of [...seen, ...logged, ...fake.calls.map((c) => c.raw + JSON.stringify(c.args))]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('LEAKCANARY');
    }
    expect(fake.calls.every((c) => c.auth === 'ok')).toBe(true); // it was sent, in the header
  });
});

describe('rendering', () => {
  it('shows the progress bar, baseline → best (target), turn, budget, phase and update time', () => {
    const message = renderStatus(status());
    const all = mrkdwnTexts(message).join('\n');
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: {
        type: 'plain_text',
        text: 'Reduce the build time of this app by 30% without breaking anything.',
        emoji: true,
      },
    });
    expect(all).toContain('▓▓▓▓▓▓░░░░ 62%');
    expect(all).toContain('*build_seconds* ↓ 92.13 → *61.4* (target ≤ 64.49) ✅');
    expect(all).toContain('turn 17/50');
    expect(all).toContain('working');
    expect(all).toContain('turns 17/50 · tokens 120k/1M · $1.20/$20');
    expect(all).toContain('|2024-11-25 14:05 UTC>'); // Slack shows the date token in the reader's time zone
    expect(message.text).toContain('🔄 Running');
    expect(message.text).toContain('62%');
  });

  it('shows paused, missing values and final verdicts', () => {
    const paused = mrkdwnTexts(renderStatus(status({ paused: true, reason: 'paused by alice' }))).join('\n');
    expect(paused).toContain('⏸️ Paused');
    expect(paused).toContain('⏸️ paused by alice');

    const metric = { name: 'score', direction: 'higher' as const, baseline: null, best: null, latest: null };
    const failed = renderStatus(
      status({
        status: 'failed',
        phase: 'done',
        maxTurns: null,
        metrics: [{ ...metric, target: 0.9, verdict: 'NOT_MET' }],
      }),
    );
    const text = mrkdwnTexts(failed).join('\n');
    expect(text).toContain('*score* ↑ — → *—* (target ≥ 0.9) ❌');
    expect(text).toContain('❌ Failed');
    expect(text).toContain('turn 17 ');
  });

  it('draws the progress bar from 0 to 100%, rounding down and clamping', () => {
    expect(progressBar(0)).toBe('░░░░░░░░░░ 0%');
    expect(progressBar(0.62)).toBe('▓▓▓▓▓▓░░░░ 62%');
    expect(progressBar(0.999)).toBe('▓▓▓▓▓▓▓▓▓░ 99%');
    expect(progressBar(1)).toBe('▓▓▓▓▓▓▓▓▓▓ 100%');
    expect(progressBar(7)).toBe('▓▓▓▓▓▓▓▓▓▓ 100%');
    expect(progressBar(Number.NaN)).toBe('░░░░░░░░░░ 0%');
  });

  it('gives every event kind its own emoji, one line of mrkdwn', () => {
    const lines = SLACK_EVENT_KINDS.map((kind) => renderEvent({ key: 'k', kind, text: 'x', at: 0 }).text);
    const emoji = lines.map((l) => l.split(' ')[0]);
    expect(new Set(emoji).size).toBe(SLACK_EVENT_KINDS.length);
    expect(renderEvent({ key: 'k', kind: 'new_best', text: 'build 61.4 s (-33%)', at: 0 })).toEqual({
      text: '🏆 build 61.4 s (-33%)',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '🏆 build 61.4 s (-33%)' } }],
    });
  });

  it('escapes Slack control characters and caps lengths without breaking an escape', () => {
    expect(escapeMrkdwn('a & b <!channel> <http://x|y> *ok*')).toBe(
      'a &amp; b &lt;!channel&gt; &lt;http://x|y&gt; *ok*',
    );
    expect(cap('abc&amp;def', 5)).toBe('abc…');
    expect(cap('ab😀cd', 4)).toBe('ab…');
    expect(cap('short', 10)).toBe('short');
  });

  it('long and malicious text is escaped and capped, and Slack accepts the message', async () => {
    const evil = '<!channel> & <https://evil.example|click me> ';
    const long = status({
      objective: evil.repeat(200),
      reason: evil.repeat(200),
      budget: evil.repeat(200),
      paused: true,
      metrics: Array.from({ length: 40 }, (_, i) => ({
        name: `<@U0VICTIM> metric ${i} ${'x'.repeat(150)}`,
        direction: 'lower' as const,
        baseline: 1,
        best: 1,
        latest: 1,
        target: 0.5,
        verdict: 'NOT_MET' as const,
      })),
    });
    const result = await syncSlack(deps, input({ status: long, events: [event(1, 'final', evil.repeat(500))] }));
    const parent = fake.parents(CHANNEL)[0]!;
    const reply = fake.replies(CHANNEL, result.parentTs)[0]!;
    const header = (parent.blocks![0] as { text: { text: string } }).text.text;
    expect(header.length).toBeLessThanOrEqual(SLACK_LIMITS.header);
    for (const text of [...mrkdwnTexts(parent), ...mrkdwnTexts(reply)]) {
      expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.section);
      // The only markup left is Longhaul's own date token: no mention, no link.
      expect(text.replace(/<!date\^\d+\^[^|>]*\|[^>]*>/g, '')).not.toMatch(/[<>]/);
    }
    expect(mrkdwnTexts(parent).join('\n')).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|click me&gt;');
    expect(mrkdwnTexts(parent).join('\n')).toMatch(/… and \d+ more/);
    expect(reply.text.startsWith('🏁 &lt;!channel&gt;')).toBe(true);
    expect(reply.text.endsWith('…')).toBe(true);
  });
});

describe('slackConfigFromEnv', () => {
  it('is null without a token, so the goal runs without Slack', () => {
    expect(slackConfigFromEnv({})).toBeNull();
    expect(slackConfigFromEnv({ SLACK_BOT_TOKEN: '  ', SLACK_CHANNEL: '#x' })).toBeNull();
  });

  it('reads the token, the channel and the API URL', () => {
    expect(slackConfigFromEnv({ SLACK_BOT_TOKEN: TOKEN, SLACK_CHANNEL: '#longhaul', SLACK_API_URL: fake.url })).toEqual(
      {
        token: TOKEN,
        channel: '#longhaul',
        apiUrl: fake.url,
      },
    );
    expect(slackConfigFromEnv({ SLACK_BOT_TOKEN: TOKEN, SLACK_CHANNEL: CHANNEL })).toEqual({
      token: TOKEN,
      channel: CHANNEL,
    });
  });

  it('says how to fix a missing channel or a bad URL, without quoting the token', () => {
    const thrown = (env: Record<string, string>): string => {
      try {
        slackConfigFromEnv(env);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('expected slackConfigFromEnv to throw');
    };
    const noChannel = thrown({ SLACK_BOT_TOKEN: TOKEN });
    expect(noChannel).toContain('SLACK_CHANNEL');
    expect(noChannel).not.toContain(TOKEN);
    const badUrl = thrown({ SLACK_BOT_TOKEN: TOKEN, SLACK_CHANNEL: CHANNEL, SLACK_API_URL: 'slack.com/api' });
    expect(badUrl).toContain('SLACK_API_URL');
    expect(badUrl).not.toContain(TOKEN);
  });
});

describe('the fake', () => {
  it('accepts JSON bodies and returns metadata only when asked, like Slack', async () => {
    const post = await fetch(`${fake.url}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: CHANNEL, text: 'hi', metadata: { event_type: 't', event_payload: { a: '1' } } }),
    });
    const posted = (await post.json()) as { ok: boolean; ts: string };
    expect(posted.ok).toBe(true);
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    const history = async (include: boolean): Promise<{ messages: FakeMessage[] }> => {
      const res = await fetch(`${fake.url}conversations.history`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ channel: CHANNEL, include_all_metadata: String(include) }).toString(),
      });
      return (await res.json()) as { messages: FakeMessage[] };
    };
    expect((await history(false)).messages[0]!.metadata).toBeUndefined();
    expect((await history(true)).messages[0]!.metadata).toEqual({ event_type: 't', event_payload: { a: '1' } });
  });
});
