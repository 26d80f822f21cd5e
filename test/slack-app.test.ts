/**
 * The Slack control surface end to end: the real Bolt app (client/slack-app.ts) against a loopback fake Slack that
 * speaks Slack's wire formats — signed HTTP `block_actions`, `view_submission` and slash-command requests, and Socket
 * Mode envelopes over a loopback WebSocket — steering real goals on a real Temporal dev server, whose worker posts the
 * goal's thread (with its buttons) to the same fake.
 */
import { ASK_INSTRUCTIONS } from '../activities/agent/ask';
import { CONTROL_ACTIONS } from '../activities/reporting/slack/render';
import { startGoal, waitForGoal } from '../client/goals';
import { slackAppConfigFromEnv, startSlackApp, HTTP_ENDPOINT, type RunningSlackApp } from '../client/slack-app';
import { SlackAccess, parseAllowedUsers } from '../client/slack/authorize';
import { MODAL_INPUT, MODALS } from '../client/slack/blocks';
import { parseSlashCommand } from '../client/slack/commands';
import { editFromFlags } from '../client/spec-input';
import { statusQuery } from '../goal/messages';
import { parseGoalSpec } from '../goal/spec';
import type { GoalStatusView } from '../goal/status';
import type { RecordedRequest } from './fakes/openai-server';
import {
  blockActionsPayload,
  interactionBody,
  postSigned,
  slashCommandBody,
  slashCommandFields,
  viewSubmissionPayload,
  type SlackUser,
} from './fakes/slack-interactions';
import { FakeSlack, type FakeMessage } from './fakes/slack-server';
import { deferred } from './helpers/deferred';
import { NO_FINISHING } from './helpers/finishing';
import { createHarness } from './helpers/goal-harness';
import { useServerAndFake } from './helpers/suite';
import { scoreMetric, scoreWorkspace, writeScore } from './helpers/workspace';

const suite = useServerAndFake();
const BOT_TOKEN = 'xoxb-slack-app-test-bot-secret';
const APP_TOKEN = 'xapp-1-slack-app-test-app-secret';
const SIGNING_SECRET = 'slack-app-test-signing-secret-8f3a';
const CHANNEL = 'C0LONGHAUL1';
const ALICE: SlackUser = { id: 'U0ALICE', name: 'alice' };
const BOB: SlackUser = { id: 'U0BOB', name: 'bob' };
const MALLORY: SlackUser = { id: 'U0MALLORY', name: 'mallory' };
const ANSWER = 'I am raising the score one step at a time.';

let slack: FakeSlack;
let logs: string[] = [];
beforeAll(async () => {
  slack = await FakeSlack.start({
    token: BOT_TOKEN,
    appToken: APP_TOKEN,
    channels: [{ id: CHANNEL, name: 'longhaul', members: [ALICE.id, BOB.id] }],
  });
});
afterAll(async () => {
  await slack?.close();
});
beforeEach(() => {
  logs = [];
});

const isAsk = (req: RecordedRequest) => String(req.body.instructions ?? '').startsWith(ASK_INSTRUCTIONS.slice(0, 40));

/** A goal whose agent holds its first turn until `release`, so it stays running; side questions get ANSWER. */
async function heldGoal(goalId: string) {
  const release = deferred();
  suite.fake.setScript(async (req) => {
    if (isAsk(req)) return { text: ANSWER };
    await release.promise;
    return writeScore(2);
  });
  const h = await createHarness(suite.env, suite.fake, 'responses', {
    slack: { token: BOT_TOKEN, channel: CHANNEL, apiUrl: slack.url, timeoutMs: 2_000 },
  });
  const spec = parseGoalSpec({
    objective: 'Raise the score',
    workspace: scoreWorkspace(1),
    metrics: [scoreMetric(9)],
    budget: { maxTurns: 30 },
    ...NO_FINISHING,
  });
  return { h, release, start: () => startGoal(suite.env.client, spec, { taskQueue: h.taskQueue, goalId }) };
}

/** Polls `check` until it returns a value (not undefined); fails with `what` after `timeoutMs`. */
async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const status = (goalId: string): Promise<GoalStatusView> =>
  suite.env.client.workflow.getHandle(goalId).query(statusQuery);

/** The goal's parent message once it shows the button `actionId`. */
function parentWith(goalId: string, actionId: string) {
  return eventually(() => {
    const parent = slack.parents(CHANNEL).find((m) => m.metadata?.event_payload.goal_id === goalId);
    return parent && buttonOf(parent, actionId) ? parent : undefined;
  }, `the goal's message with ${actionId}`);
}

/** A button of a message, as Slack would show it. */
function buttonOf(message: FakeMessage, actionId: string): { action_id: string; value: string } | undefined {
  type Button = { action_id: string; value: string };
  const actions = (message.blocks ?? []).find((b: { type: string }) => b.type === 'actions') as
    { elements: Button[] } | undefined;
  return actions?.elements.find((e) => e.action_id === actionId);
}

/** Slack's payload for a click on `actionId` on the goal's message. */
function click(user: SlackUser, parent: FakeMessage, actionId: string) {
  const button = buttonOf(parent, actionId)!;
  const responseUrl = slack.newResponseUrl();
  const payload = blockActionsPayload({
    user,
    channel: CHANNEL,
    message: { ts: parent.ts, text: parent.text, blocks: parent.blocks ?? [] },
    actionId: button.action_id,
    value: button.value,
    triggerId: slack.newTriggerId(),
    responseUrl,
  });
  return { payload, responseUrl };
}

function threadTexts(goalId: string): string[] {
  const parent = slack.parents(CHANNEL).find((m) => m.metadata?.event_payload.goal_id === goalId)!;
  return slack.replies(CHANNEL, parent.ts).map((r) => r.text);
}

/** What the app answered to a response URL (ephemeral text), once it has. */
const answerAt = (url: string) =>
  eventually(() => slack.responsesTo(url)[0]?.body as { text: string; response_type: string } | undefined, url);

/** What Slack was given to show people: every call's arguments (the token it authenticates with aside), answers, modals. */
function everythingSlackSaw(): string {
  return [
    ...slack.calls.map((c) => JSON.stringify(c.args)),
    ...slack.responses.map((r) => JSON.stringify(r.body)),
    ...slack.views.map((v) => JSON.stringify(v.view)),
    ...slack.ephemerals.map((e) => e.text),
  ].join('\n');
}

function expectNoSecrets(text: string): void {
  for (const secret of [BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, 'sk-test-secret-key']) expect(text).not.toContain(secret);
}

describe('over HTTP, requests verified with the signing secret', () => {
  let app: RunningSlackApp;
  let url: string;
  beforeAll(async () => {
    const config = slackAppConfigFromEnv({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.url,
      SLACK_CHANNEL: CHANNEL,
    });
    app = await startSlackApp({ ...config, client: suite.env.client, port: 0, log: (l) => logs.push(l) });
    url = `http://127.0.0.1:${app.port}${HTTP_ENDPOINT}`;
  });
  afterAll(async () => {
    await app?.stop();
  });

  test('a Pause press on the goal’s message pauses it, the thread says who; forged, stale and outsiders’ presses change nothing', async () => {
    const goalId = 'slack-http';
    const { h, release, start } = await heldGoal(goalId);
    await h.worker.runUntil(async () => {
      const handle = await start();
      const parent = await parentWith(goalId, CONTROL_ACTIONS.pause);
      const before = await status(goalId);
      expect(buttonOf(parent, CONTROL_ACTIONS.pause)!.value).toBe(goalId); // the goal id and nothing else

      // A forged signature, and a correctly signed request five minutes too old: 401, nothing happens.
      const forged = click(ALICE, parent, CONTROL_ACTIONS.pause);
      const body = interactionBody(forged.payload);
      const bad = await postSigned(url, body, { secret: 'not-the-signing-secret' });
      const tampered = await postSigned(url, body, { secret: SIGNING_SECRET, signature: `v0=${'0'.repeat(64)}` });
      const stale = await postSigned(url, body, {
        secret: SIGNING_SECRET,
        timestamp: Math.floor(Date.now() / 1000) - 10 * 60,
      });
      expect([bad.status, tampered.status, stale.status]).toEqual([401, 401, 401]);

      // Someone outside the goal's channel: acknowledged, told why, and refused.
      const outsider = click(MALLORY, parent, CONTROL_ACTIONS.pause);
      const refused = await postSigned(url, interactionBody(outsider.payload), { secret: SIGNING_SECRET });
      expect(refused.status).toBe(200);
      const refusal = await answerAt(outsider.responseUrl);
      expect(refusal).toMatchObject({ response_type: 'ephemeral' });
      expect(refusal.text).toContain(`only members of the goal's channel <#${CHANNEL}> may steer ${goalId}`);
      expect(refusal.text).toContain('U0MALLORY');

      const unchanged = await status(goalId);
      expect(unchanged.paused).toBe(false);
      expect(unchanged.events.map((e) => e.text)).toEqual(before.events.map((e) => e.text));
      expect(slack.responsesTo(forged.responseUrl)).toEqual([]);

      // Alice, a member of the goal's channel, presses Pause: the goal pauses, and the thread says she did.
      const press = click(ALICE, parent, CONTROL_ACTIONS.pause);
      const ok = await postSigned(url, interactionBody(press.payload), { secret: SIGNING_SECRET });
      expect(ok.status).toBe(200);
      const paused = await eventually(async () => {
        const s = await status(goalId);
        return s.paused ? s : undefined;
      }, 'the goal to pause');
      expect(paused.events.map((e) => e.text)).toContain('paused by @alice (Slack U0ALICE)');
      await eventually(
        () => (threadTexts(goalId).some((t) => t.includes('paused by @alice (Slack U0ALICE)')) ? true : undefined),
        'the pause in the thread',
      );
      expect(slack.responsesTo(press.responseUrl)).toEqual([]); // nothing went wrong, nothing to tell her

      // The message now offers Resume; Bob's press resumes the goal.
      const pausedParent = await parentWith(goalId, CONTROL_ACTIONS.resume);
      expect(buttonOf(pausedParent, CONTROL_ACTIONS.pause)).toBeUndefined();
      const resume = click(BOB, pausedParent, CONTROL_ACTIONS.resume);
      expect((await postSigned(url, interactionBody(resume.payload), { secret: SIGNING_SECRET })).status).toBe(200);
      const resumed = await eventually(async () => {
        const s = await status(goalId);
        return s.paused ? undefined : s;
      }, 'the goal to resume');
      expect(resumed.events.map((e) => e.text)).toContain('resumed by @bob (Slack U0BOB)');

      // A signed slash command over HTTP, answered ephemerally.
      const responseUrl = slack.newResponseUrl();
      const fields = slashCommandFields({
        user: ALICE,
        channel: CHANNEL,
        command: '/longhaul',
        text: `status ${goalId}`,
        triggerId: slack.newTriggerId(),
        responseUrl,
      });
      expect((await postSigned(url, slashCommandBody(fields), { secret: SIGNING_SECRET })).status).toBe(200);
      const statusAnswer = await answerAt(responseUrl);
      expect(statusAnswer.response_type).toBe('ephemeral');
      expect(statusAnswer.text).toContain(`${goalId}  RUNNING`);

      release.resolve();
      await handle.cancel();
      await waitForGoal(suite.env.client, goalId);
    });
    expect(logs.join('\n')).toContain('U0MALLORY refused longhaul_pause');
    expectNoSecrets(logs.join('\n'));
    expectNoSecrets(everythingSlackSaw());
  });
});

describe('over Socket Mode (SLACK_APP_TOKEN), with SLACK_ALLOWED_USERS', () => {
  let app: RunningSlackApp;
  beforeAll(async () => {
    const config = slackAppConfigFromEnv({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_APP_TOKEN: APP_TOKEN,
      SLACK_API_URL: slack.url,
      SLACK_ALLOWED_USERS: `${BOB.id}, U0CAROL`,
    });
    app = await startSlackApp({ ...config, client: suite.env.client, log: (l) => logs.push(l) });
    await slack.socketConnected();
  });
  afterAll(async () => {
    await app?.stop();
  });

  /** Sends `/longhaul text` as `user` over the WebSocket; resolves with the ephemeral answer. */
  async function slash(user: SlackUser, text: string) {
    const responseUrl = slack.newResponseUrl();
    const ack = await slack.sendEnvelope(
      'slash_commands',
      slashCommandFields({
        user,
        channel: CHANNEL,
        command: '/longhaul',
        text,
        triggerId: slack.newTriggerId(),
        responseUrl,
      }),
    );
    expect(ack.envelope_id).toMatch(/^[0-9a-f]{32}$/);
    const answer = await answerAt(responseUrl);
    expect(answer.response_type).toBe('ephemeral');
    return answer.text;
  }

  test('slash commands, the Ask and Guide modals and Cancel steer the goal, each recorded with who did it; others are refused', async () => {
    const goalId = 'slack-socket';
    const { h, release, start } = await heldGoal(goalId);
    await h.worker.runUntil(async () => {
      await start();
      const parent = await parentWith(goalId, CONTROL_ACTIONS.ask);

      // Alice is in the goal's channel but not in SLACK_ALLOWED_USERS: refused, the goal unchanged.
      expect(await slash(ALICE, `pause ${goalId}`)).toContain(
        'you are not allowed to steer goals: ask for your Slack id (U0ALICE) to be added to SLACK_ALLOWED_USERS',
      );
      expect((await status(goalId)).paused).toBe(false);

      expect(await slash(BOB, 'list')).toContain(goalId);
      expect(await slash(BOB, `status ${goalId}`)).toMatch(new RegExp(`${goalId} {2}RUNNING`));
      expect(await slash(BOB, 'status no-such-goal')).toContain('no goal with id no-such-goal: see `/longhaul list`');
      expect(await slash(BOB, 'frobnicate x')).toContain('unknown command "frobnicate"');

      // edit: the same parsing and validation as `longhaul edit`, so the same error.
      const cliError = (() => {
        try {
          editFromFlags({ maxTurns: 'abc' });
        } catch (err) {
          return (err as Error).message;
        }
        return '';
      })();
      expect(cliError).toContain('--max-turns "abc": must be a whole number');
      expect(await slash(BOB, `edit ${goalId} --max-turns abc`)).toContain(cliError.split('\n')[1]!.trim());
      expect(await slash(BOB, `edit ${goalId} --file /etc/passwd`)).toContain('--file is not available from Slack');
      const edited = await slash(BOB, `edit ${goalId} --max-turns 40 --reason “more room”`);
      expect(edited).toContain(`${goalId}: edit accepted as goal version 2`);
      expect(edited).toContain('budget.maxTurns: 30 → 40');

      expect(await slash(BOB, `pause ${goalId} lunch break`)).toContain(`${goalId}: paused after turn`);
      expect(await slash(BOB, `resume ${goalId}`)).toContain(`${goalId}: resumed at turn`);
      expect(await slash(BOB, `guide ${goalId} try the small change first`)).toContain('guidance sent');
      expect(await slash(BOB, `ask ${goalId} what are you trying?`)).toContain(ANSWER);

      const s = await status(goalId);
      const texts = s.events.map((e) => e.text);
      expect(texts).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^edit accepted \(version 2\) by @bob \(Slack U0BOB\)/),
          'paused by @bob (Slack U0BOB): lunch break',
          'resumed by @bob (Slack U0BOB)',
          'guidance received by @bob (Slack U0BOB): try the small change first',
          'side question answered by @bob (Slack U0BOB): what are you trying?',
        ]),
      );
      expect(s.guidance.at(-1)).toMatchObject({
        text: 'try the small change first',
        by: { via: 'slack', user: 'U0BOB', name: 'bob' },
      });

      // The Ask button opens a modal; the question submitted is answered in the goal's thread.
      const ask = click(BOB, parent, CONTROL_ACTIONS.ask);
      await slack.sendEnvelope('interactive', ask.payload);
      const view = await eventually(
        () => slack.views.find((v) => v.triggerId === ask.payload.trigger_id),
        'views.open',
      );
      expect(view.view.callback_id).toBe(MODALS.ask);
      expect(JSON.parse(String(view.view.private_metadata))).toEqual({ goalId, channel: CHANNEL, threadTs: parent.ts });
      const submit = (text: string) =>
        slack.sendEnvelope(
          'interactive',
          viewSubmissionPayload({
            user: BOB,
            view: { id: view.id, callback_id: MODALS.ask, private_metadata: String(view.view.private_metadata) },
            input: { blockId: MODAL_INPUT.block, actionId: MODAL_INPUT.action, value: text },
            triggerId: slack.newTriggerId(),
          }),
        );
      const empty = await submit('   ');
      expect(empty.payload).toMatchObject({
        response_action: 'errors',
        errors: { [MODAL_INPUT.block]: expect.any(String) },
      });
      await submit('what is the score now? <!channel>');
      const answered = await eventually(
        () => threadTexts(goalId).find((t) => t.startsWith('❓ <@U0BOB> asked:')),
        'the answer in the thread',
      );
      expect(answered).toContain(ANSWER);
      expect(answered).toContain('&lt;!channel&gt;'); // escaped: no one is mentioned by what a user typed

      // Guide from the modal: sent, and said in the thread.
      const guide = click(BOB, parent, CONTROL_ACTIONS.guide);
      await slack.sendEnvelope('interactive', guide.payload);
      const guideView = await eventually(
        () => slack.views.find((v) => v.triggerId === guide.payload.trigger_id),
        'the guide modal',
      );
      await slack.sendEnvelope(
        'interactive',
        viewSubmissionPayload({
          user: BOB,
          view: {
            id: guideView.id,
            callback_id: MODALS.guide,
            private_metadata: String(guideView.view.private_metadata),
          },
          input: { blockId: MODAL_INPUT.block, actionId: MODAL_INPUT.action, value: 'look at measure.sh' },
          triggerId: slack.newTriggerId(),
        }),
      );
      await eventually(
        () => threadTexts(goalId).find((t) => t.startsWith('🧭 Guidance from <@U0BOB>: look at measure.sh')),
        'the guidance in the thread',
      );
      expect((await status(goalId)).guidance.at(-1)?.text).toBe('look at measure.sh');

      // Alice's Ask press is refused before any modal opens.
      const refusedAsk = click(ALICE, parent, CONTROL_ACTIONS.ask);
      await slack.sendEnvelope('interactive', refusedAsk.payload);
      expect((await answerAt(refusedAsk.responseUrl)).text).toContain('you are not allowed to steer goals');
      expect(slack.views.find((v) => v.triggerId === refusedAsk.payload.trigger_id)).toBeUndefined();

      // Cancel (Slack asked for confirmation before sending it): the goal ends cancelled, naming who.
      release.resolve();
      await slack.sendEnvelope('interactive', click(BOB, parent, CONTROL_ACTIONS.cancel).payload);
      const end = await waitForGoal(suite.env.client, goalId);
      expect(end.status).toBe('cancelled');
      const final = await status(goalId);
      expect(final.reason).toBe('cancelled by @bob (Slack U0BOB)');
      expect(final.events.map((e) => e.text)).toContain('cancel requested by @bob (Slack U0BOB)');
      const history = await suite.env.client.workflow.getHandle(goalId).fetchHistory();
      const signalled = history.events?.find(
        (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'cancelRequested',
      );
      expect(signalled).toBeDefined(); // the Temporal history holds who, too
    });
    expectNoSecrets(logs.join('\n'));
    expectNoSecrets(everythingSlackSaw());
  });
});

describe('pieces', () => {
  test('slash command text: commands, quotes (curly too), and clear errors', () => {
    expect(parseSlashCommand('')).toEqual({ kind: 'help' });
    expect(parseSlashCommand('list')).toEqual({ kind: 'list' });
    expect(parseSlashCommand('status g1')).toEqual({ kind: 'status', goalId: 'g1' });
    expect(parseSlashCommand('pause g1 "for lunch"')).toEqual({ kind: 'pause', goalId: 'g1', reason: 'for lunch' });
    expect(parseSlashCommand('guide g1  keep   spacing ')).toEqual({
      kind: 'guide',
      goalId: 'g1',
      text: 'keep   spacing',
    });
    expect(parseSlashCommand('ask g1 why?')).toEqual({ kind: 'ask', goalId: 'g1', question: 'why?' });
    expect(parseSlashCommand('edit g1 --max-turns=80 --target score=10 --reason “more room”')).toEqual({
      kind: 'edit',
      goalId: 'g1',
      edit: { budget: { maxTurns: 80 }, targets: { score: { absolute: 10 } }, reason: 'more room' },
    });
    expect(() => parseSlashCommand('pause')).toThrow('`pause` needs a goal id');
    expect(() => parseSlashCommand('resume g1 now')).toThrow('`resume` takes only a goal id');
    expect(() => parseSlashCommand('edit g1')).toThrow('an edit must change something');
    expect(() => parseSlashCommand('edit g1 --max-turns')).toThrow('option --max-turns needs a value');
    expect(() => parseSlashCommand('edit g1 --nope 3')).toThrow('unknown option --nope');
  });

  test('the environment: what each mode needs, said with the fix, and never a secret', () => {
    expect(() => slackAppConfigFromEnv({})).toThrow('SLACK_BOT_TOKEN is not set');
    expect(() => slackAppConfigFromEnv({ SLACK_BOT_TOKEN: BOT_TOKEN })).toThrow(
      'neither SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET is set',
    );
    expect(() => slackAppConfigFromEnv({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: BOT_TOKEN })).toThrow(
      /SLACK_APP_TOKEN is not an app-level token: .*xapp-/,
    );
    let message = '';
    try {
      slackAppConfigFromEnv({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: 'xoxb-secret-in-wrong-place' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toContain('xoxb-secret-in-wrong-place');
    expect(() =>
      slackAppConfigFromEnv({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: APP_TOKEN, SLACK_ALLOWED_USERS: 'alice' }),
    ).toThrow('SLACK_ALLOWED_USERS holds "alice", which is not a Slack user id');
    expect(parseAllowedUsers(' U01, U02 W03 ')).toEqual(new Set(['U01', 'U02', 'W03']));
    expect(slackAppConfigFromEnv({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: 's' })).toMatchObject({
      access: { allowedUsers: null, defaultChannel: null },
    });
  });

  test('access: the allow-list when set, else the goal’s channel members; a goal without a channel is nobody’s', async () => {
    const asked: string[] = [];
    const members = (channel: string) => {
      asked.push(channel);
      return Promise.resolve(new Set(['U0ALICE']));
    };
    const byChannel = new SlackAccess({ allowedUsers: null, defaultChannel: null }, members);
    const channel = () => Promise.resolve('C0GOAL');
    expect(await byChannel.mayActOnGoal('U0ALICE', 'g', channel)).toEqual({ ok: true });
    expect((await byChannel.mayActOnGoal('U0BOB', 'g', channel)).ok).toBe(false);
    expect(asked).toEqual(['C0GOAL']); // cached
    expect(await byChannel.mayActOnGoal('U0ALICE', 'g', () => Promise.resolve(null))).toMatchObject({
      ok: false,
      why: expect.stringContaining('set SLACK_ALLOWED_USERS'),
    });
    expect((await byChannel.mayList('U0ALICE')).ok).toBe(false);
    const listed = new SlackAccess({ allowedUsers: new Set(['U0BOB']), defaultChannel: null }, members);
    expect((await listed.mayActOnGoal('U0ALICE', 'g', channel)).ok).toBe(false);
    expect(await listed.mayActOnGoal('U0BOB', 'g', channel)).toEqual({ ok: true });
    expect(await listed.mayList('U0BOB')).toEqual({ ok: true });
  });
});
