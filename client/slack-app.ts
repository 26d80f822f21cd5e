/**
 * `longhaul slack-app`: the Slack control surface, a Bolt app. The goal's parent message carries Pause/Resume,
 * Guide, Ask and Cancel buttons (activities/reporting/slack/render.ts); `/longhaul` takes `status`, `list`, `pause`,
 * `resume`, `guide`, `ask` and `edit`. Each maps to the goal's update or signal through client/steer.ts and
 * client/goals.ts, carrying who acted (`by`), which the goal records with the event.
 *
 * Receives over Socket Mode when SLACK_APP_TOKEN is set, else over HTTP (Bolt verifies each request's signature and
 * age with the signing secret: a bad or stale one gets 401 and nothing runs). Only allowed users may act
 * (client/slack/authorize.ts). Tokens and the signing secret are never logged, posted or sent to a goal.
 */
import { App, HTTPReceiver, LogLevel, SocketModeReceiver, type Logger, type Receiver } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { AddressInfo } from 'node:net';
import { CONTROL_ACTIONS } from '../activities/reporting/slack/render';
import { createRedactor } from '../activities/security/redact';
import { ConfigError } from '../common/temporal-config';
import type { Actor } from '../goal/actor';
import { formatList, formatStatus } from './format';
import { cancelGoal, goalStatus, listGoals } from './goals';
import { SlackAccess, parseAllowedUsers, type AccessDecision, type AccessPolicy } from './slack/authorize';
import {
  askReply,
  codeBlock,
  guideReply,
  modalContext,
  modalView,
  MODAL_INPUT,
  MODALS,
  plain,
  type ModalContext,
} from './slack/blocks';
import { parseSlashCommand, SLASH_USAGE, type SlashCommand } from './slack/commands';
import { askGoal, editGoal, guideGoal, pauseGoal, resumeGoal } from './steer';

/** The slash command the app answers (as the manifest declares it). */
export const SLASH_COMMAND = '/longhaul';
/** Where the HTTP receiver takes Slack's requests (the manifest's request URLs end in it). */
export const HTTP_ENDPOINT = '/slack/events';
/** The HTTP port unless told otherwise. */
export const DEFAULT_SLACK_APP_PORT = 3000;

/** The app's settings (from the environment by {@link slackAppConfigFromEnv}). */
export interface SlackAppConfig {
  /** The bot token (`xoxb-…`), SLACK_BOT_TOKEN: replies, modals, channel members. */
  readonly botToken: string;
  /** The app-level token (`xapp-…`), SLACK_APP_TOKEN: Socket Mode. Absent: HTTP. */
  readonly appToken?: string;
  /** SLACK_SIGNING_SECRET: verifies HTTP requests. Required for HTTP. */
  readonly signingSecret?: string;
  /**
   * The Web API's base URL, SLACK_API_URL (a loopback fake in tests).
   * @default 'https://slack.com/api/'
   */
  readonly apiUrl?: string;
  readonly access: AccessPolicy;
}

export interface SlackAppOptions extends SlackAppConfig {
  /** The Temporal client goals are steered with. */
  readonly client: Client;
  /**
   * HTTP only: the port to listen on (0: any free one).
   * @default 3000
   */
  readonly port?: number;
  /**
   * Where the app's log lines go (one line each, secrets redacted).
   * @default stderr
   */
  readonly log?: (line: string) => void;
}

export interface RunningSlackApp {
  readonly mode: 'socket' | 'http';
  /** The HTTP port listened on; null in Socket Mode. */
  readonly port: number | null;
  stop(): Promise<void>;
}

/**
 * Reads the app's settings: SLACK_BOT_TOKEN, then SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP),
 * SLACK_API_URL, SLACK_ALLOWED_USERS and SLACK_CHANNEL. Throws a ConfigError that says how to fix a bad one; no
 * secret is ever part of it.
 */
export function slackAppConfigFromEnv(env: Readonly<Record<string, string | undefined>>): SlackAppConfig {
  const value = (name: string) => env[name]?.trim() ?? '';
  const botToken = value('SLACK_BOT_TOKEN');
  if (botToken === '') {
    throw new ConfigError(
      'SLACK_BOT_TOKEN is not set: the Slack app replies with the bot token (xoxb-…, from OAuth & Permissions); see deploy/slack-app-manifest.yaml',
    );
  }
  const appToken = value('SLACK_APP_TOKEN');
  if (appToken !== '' && !appToken.startsWith('xapp-')) {
    throw new ConfigError(
      'SLACK_APP_TOKEN is not an app-level token: Socket Mode needs one starting xapp- (Basic Information → App-Level Tokens, scope connections:write), or unset it to receive over HTTP',
    );
  }
  const signingSecret = value('SLACK_SIGNING_SECRET');
  if (appToken === '' && signingSecret === '') {
    throw new ConfigError(
      'neither SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET is set: set SLACK_APP_TOKEN (xapp-…) for Socket Mode, or SLACK_SIGNING_SECRET (Basic Information → App Credentials) to receive over HTTP',
    );
  }
  const apiUrl = value('SLACK_API_URL');
  if (apiUrl !== '' && !/^https?:\/\/[^\s]+$/.test(apiUrl)) {
    throw new ConfigError(`SLACK_API_URL is not an http(s) URL: use e.g. https://slack.com/api/, or unset it`);
  }
  let allowedUsers: ReadonlySet<string> | null;
  try {
    allowedUsers = parseAllowedUsers(env['SLACK_ALLOWED_USERS']);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const channel = value('SLACK_CHANNEL');
  return {
    botToken,
    ...(appToken !== '' ? { appToken } : {}),
    ...(signingSecret !== '' ? { signingSecret } : {}),
    ...(apiUrl !== '' ? { apiUrl } : {}),
    access: { allowedUsers, defaultChannel: /^[CG][A-Z0-9]+$/.test(channel) ? channel : null },
  };
}

/** Starts the app: connected (Socket Mode) or listening (HTTP) when it resolves. */
export async function startSlackApp(o: SlackAppOptions): Promise<RunningSlackApp> {
  const redact = createRedactor([o.botToken, o.appToken, o.signingSecret]);
  const write = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log = (line: string) => write(redact(line));
  const logger = boltLogger(log);
  const clientOptions = o.apiUrl ? { slackApiUrl: o.apiUrl } : {};
  let receiver: Receiver;
  if (o.appToken) {
    receiver = new SocketModeReceiver({ appToken: o.appToken, logger, installerOptions: { clientOptions } });
  } else {
    if (!o.signingSecret) throw new ConfigError('SLACK_SIGNING_SECRET is needed to receive over HTTP');
    receiver = new HTTPReceiver({ signingSecret: o.signingSecret, endpoints: HTTP_ENDPOINT, logger });
  }
  const app = new App({ token: o.botToken, receiver, logger, clientOptions });
  const access = new SlackAccess(o.access, (channel) => channelMembers(app.client, channel));
  registerListeners(app, { client: o.client, access, log });
  app.error((err) => Promise.resolve(log(`slack-app: ${err.message}`)));

  if (o.appToken) {
    await app.start();
    log('slack-app: connected to Slack over Socket Mode');
    return { mode: 'socket', port: null, stop: () => app.stop() as Promise<void> };
  }
  const server = (await app.start(o.port ?? DEFAULT_SLACK_APP_PORT)) as { address(): AddressInfo | string | null };
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (o.port ?? DEFAULT_SLACK_APP_PORT);
  log(`slack-app: listening for Slack on http://0.0.0.0:${port}${HTTP_ENDPOINT}`);
  return { mode: 'http', port, stop: () => app.stop() as Promise<void> };
}

interface Deps {
  readonly client: Client;
  readonly access: SlackAccess;
  readonly log: (line: string) => void;
}

/** Who acted, from the user object of a signed payload. */
function actorOf(user: { id: string; username?: string; name?: string }): Actor {
  const name = user.username ?? user.name;
  return { via: 'slack', user: user.id, ...(name ? { name } : {}) };
}

/** Whether the user may act on the goal (its channel comes from its status only when membership decides). */
async function mayAct(deps: Deps, user: string, goalId: string): Promise<AccessDecision> {
  return deps.access.mayActOnGoal(user, goalId, async () => (await goalStatus(deps.client, goalId)).slack.channel);
}

function registerListeners(app: App, deps: Deps): void {
  const { client, log } = deps;
  type Respond = (message: { response_type: 'ephemeral'; replace_original: false; text: string }) => Promise<unknown>;
  const tell = (respond: Respond, text: string) =>
    respond({ response_type: 'ephemeral', replace_original: false, text }).catch((err: unknown) =>
      log(`slack-app: could not answer: ${(err as Error).message}`),
    );

  /** A goal button: ack, check the user, run, and tell the user only when something went wrong. */
  const button = (actionId: string, run: (goalId: string, by: Actor) => Promise<string>) =>
    app.action<import('@slack/bolt').BlockButtonAction>(actionId, async ({ ack, body, action, respond }) => {
      await ack();
      const goalId = action.value ?? '';
      const by = actorOf(body.user);
      try {
        const decision = await mayAct(deps, by.user, goalId);
        if (!decision.ok) {
          log(`slack-app: ${by.user} refused ${actionId} on ${goalId}`);
          await tell(respond, `⛔ ${decision.why}`);
          return;
        }
        const done = await run(goalId, by);
        log(`slack-app: ${by.user} ${actionId} ${goalId}: ${done}`);
      } catch (err) {
        log(`slack-app: ${by.user} ${actionId} ${goalId} failed: ${(err as Error).message}`);
        await tell(respond, `⚠️ ${plain(problemText(err, goalId))}`);
      }
    });

  button(
    CONTROL_ACTIONS.pause,
    async (goalId, by) => `paused after turn ${(await pauseGoal(client, goalId, undefined, by)).turn}`,
  );
  button(
    CONTROL_ACTIONS.resume,
    async (goalId, by) => `resumed at turn ${(await resumeGoal(client, goalId, by)).turn}`,
  );
  button(CONTROL_ACTIONS.cancel, async (goalId, by) => {
    await cancelGoal(client, goalId, by);
    return 'cancellation requested';
  });

  // Ask and Guide open a modal; its answer lands in the thread of the message the button was on.
  for (const kind of ['ask', 'guide'] as const) {
    app.action<import('@slack/bolt').BlockButtonAction>(
      CONTROL_ACTIONS[kind],
      async ({ ack, body, action, respond, client: web }) => {
        await ack();
        const goalId = action.value ?? '';
        try {
          const decision = await mayAct(deps, body.user.id, goalId);
          if (!decision.ok) {
            log(`slack-app: ${body.user.id} refused ${kind} on ${goalId}`);
            await tell(respond, `⛔ ${decision.why}`);
            return;
          }
          const ctx: ModalContext = {
            goalId,
            channel: body.channel?.id ?? null,
            threadTs: body.message?.ts ?? null,
          };
          await web.views.open({ trigger_id: body.trigger_id, view: modalView(kind, ctx) });
        } catch (err) {
          await tell(respond, `⚠️ ${plain(problemText(err, goalId))}`);
        }
      },
    );
  }

  for (const kind of ['ask', 'guide'] as const) {
    app.view(MODALS[kind], async ({ ack, body, view, client: web }) => {
      const ctx = modalContext(view.private_metadata);
      const text = (view.state.values[MODAL_INPUT.block]?.[MODAL_INPUT.action]?.value ?? '').trim();
      const by = actorOf(body.user);
      const error = (message: string) =>
        ack({ response_action: 'errors', errors: { [MODAL_INPUT.block]: message.slice(0, 150) } });
      if (ctx === null) return void (await ack());
      if (text === '') {
        return void (await error(
          kind === 'ask' ? 'Ask something, e.g. “what are you trying now?”' : 'Say what the agent should know.',
        ));
      }
      let decision: AccessDecision;
      try {
        decision = await mayAct(deps, by.user, ctx.goalId);
      } catch (err) {
        return void (await error(problemText(err, ctx.goalId)));
      }
      if (!decision.ok) {
        log(`slack-app: ${by.user} refused ${kind} on ${ctx.goalId}`);
        return void (await error(decision.why));
      }
      await ack();
      try {
        let reply: string;
        if (kind === 'ask') {
          const r = await askGoal(client, ctx.goalId, text, by);
          reply = askReply(by.user, text, r.answer, r.turn);
        } else {
          await guideGoal(client, ctx.goalId, text, by);
          reply = guideReply(by.user, text);
        }
        log(`slack-app: ${by.user} ${kind} ${ctx.goalId}: ok`);
        await postInThread(deps, web, ctx, reply);
      } catch (err) {
        log(`slack-app: ${by.user} ${kind} ${ctx.goalId} failed: ${(err as Error).message}`);
        if (ctx.channel) {
          await web.chat
            .postEphemeral({ channel: ctx.channel, user: by.user, text: `⚠️ ${plain(problemText(err, ctx.goalId))}` })
            .catch((e: unknown) => log(`slack-app: could not answer: ${(e as Error).message}`));
        }
      }
    });
  }

  app.command(SLASH_COMMAND, async ({ ack, command, respond }) => {
    await ack();
    const by = actorOf({ id: command.user_id, username: command.user_name });
    const text = await answerSlash(deps, command.text, by);
    await tell(respond, text);
  });
}

/** Posts a reply in the goal's thread: where the modal was opened, else the goal's own thread. */
async function postInThread(deps: Deps, web: WebClient, ctx: ModalContext, text: string): Promise<void> {
  let { channel, threadTs } = ctx;
  if (channel === null || threadTs === null) {
    const slack = (await goalStatus(deps.client, ctx.goalId)).slack;
    channel = slack.channel;
    threadTs = slack.parentTs;
  }
  if (channel === null) return;
  await web.chat.postMessage({ channel, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
}

/** The ephemeral answer to `/longhaul …`; never throws. */
async function answerSlash(deps: Deps, text: string, by: Actor): Promise<string> {
  const { client, log } = deps;
  let command: SlashCommand;
  try {
    command = parseSlashCommand(text);
  } catch (err) {
    return `⚠️ ${plain((err as Error).message)}`;
  }
  if (command.kind === 'help') return `Longhaul goals from Slack:\n${SLASH_USAGE}`;
  const goalId = command.kind === 'list' ? '' : command.goalId;
  try {
    const decision = command.kind === 'list' ? await deps.access.mayList(by.user) : await mayAct(deps, by.user, goalId);
    if (!decision.ok) {
      log(`slack-app: ${by.user} refused /longhaul ${command.kind}${goalId ? ` ${goalId}` : ''}`);
      return `⛔ ${decision.why}`;
    }
    const answer = await runSlash(client, command, by);
    log(`slack-app: ${by.user} /longhaul ${command.kind}${goalId ? ` ${goalId}` : ''}: ok`);
    return answer;
  } catch (err) {
    log(`slack-app: ${by.user} /longhaul ${command.kind} ${goalId} failed: ${(err as Error).message}`);
    return `⚠️ ${plain(problemText(err, goalId))}`;
  }
}

async function runSlash(client: Client, c: Exclude<SlashCommand, { kind: 'help' }>, by: Actor): Promise<string> {
  switch (c.kind) {
    case 'list':
      return codeBlock(formatList(await listGoals(client, { limit: 20 })));
    case 'status':
      return codeBlock(formatStatus(await goalStatus(client, c.goalId)));
    case 'pause': {
      const r = await pauseGoal(client, c.goalId, c.reason, by);
      return `⏸️ ${plain(c.goalId)}: paused after turn ${r.turn}; \`/longhaul resume ${plain(c.goalId)}\` continues it`;
    }
    case 'resume':
      return `▶️ ${plain(c.goalId)}: resumed at turn ${(await resumeGoal(client, c.goalId, by)).turn}`;
    case 'guide':
      await guideGoal(client, c.goalId, c.text, by);
      return `🧭 ${plain(c.goalId)}: guidance sent; the agent gets it at its next turn`;
    case 'ask': {
      const r = await askGoal(client, c.goalId, c.question, by);
      return `❓ ${plain(c.question, 500)}\n>${plain(r.answer, 2400).replace(/\n/g, '\n>')}`;
    }
    case 'edit': {
      const r = await editGoal(client, c.goalId, c.edit, by);
      return `✏️ ${plain(c.goalId)}: edit accepted as goal version ${r.goalVersion}, applies at the next turn boundary\n${r.changes.map((x) => `• ${plain(x, 300)}`).join('\n')}`;
    }
  }
}

/** A failure as the user should read it: what went wrong and what to do. */
function problemText(err: unknown, goalId: string): string {
  if (err instanceof WorkflowNotFoundError) return `no goal with id ${goalId}: see \`/longhaul list\``;
  const e = err as Error;
  if (['GoalEndedError', 'RejectedError', 'InvalidEditError', 'SlashUsageError'].includes(e?.name)) return e.message;
  return `it did not work: ${e?.message ?? String(err)}`;
}

/** The members of a channel, every page (needs channels:read / groups:read). */
async function channelMembers(web: WebClient, channel: string): Promise<ReadonlySet<string>> {
  const members = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const res = await web.conversations.members({ channel, limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const m of res.members ?? []) members.add(m);
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) break;
  }
  return members;
}

/** Bolt's logger, as log lines at info and above (debug output would carry whole payloads). */
function boltLogger(log: (line: string) => void): Logger {
  let level = LogLevel.INFO;
  let name = 'slack';
  const order = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR];
  const at =
    (l: LogLevel) =>
    (...msg: unknown[]) => {
      if (order.indexOf(l) >= order.indexOf(level) && l !== LogLevel.DEBUG) {
        log(`${name} ${l}: ${msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' ')}`);
      }
    };
  return {
    debug: at(LogLevel.DEBUG),
    info: at(LogLevel.INFO),
    warn: at(LogLevel.WARN),
    error: at(LogLevel.ERROR),
    setLevel: (l) => void (level = l),
    getLevel: () => level,
    setName: (n) => void (name = n),
  };
}

/**
 * `longhaul slack-app`: reads the settings from the environment (failing first, with the fix), connects to Temporal,
 * runs the app until SIGINT/SIGTERM.
 */
export async function runSlackApp(o: { port: number }, log: (line: string) => void): Promise<void> {
  const config = slackAppConfigFromEnv(process.env);
  const { connectClient } = await import('./connect');
  const { loadTemporalConfig } = await import('../common/temporal-config');
  const { client, close } = await connectClient(loadTemporalConfig());
  try {
    const app = await startSlackApp({ ...config, client, port: o.port, log });
    log(
      `slack-app: ${config.access.allowedUsers ? `${config.access.allowedUsers.size} allowed user(s) (SLACK_ALLOWED_USERS)` : "members of each goal's channel"} may steer goals; Ctrl-C stops`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await app.stop();
  } finally {
    await close();
  }
}
