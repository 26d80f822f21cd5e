/**
 * What Slack sends to an app, in Slack's wire formats, for driving a real Bolt app in tests: `block_actions` and
 * `view_submission` payloads and slash-command fields; over HTTP as Slack posts them (a form body — `payload=<json>`
 * for interactions, the fields themselves for a slash command — signed with the signing secret: `X-Slack-Signature:
 * v0=HMAC-SHA256(secret, "v0:<timestamp>:<body>")` and `X-Slack-Request-Timestamp`), or as Socket Mode envelopes
 * through the fake's WebSocket (FakeSlack.sendEnvelope).
 */
import { createHmac } from 'node:crypto';

const TEAM = { id: 'T0FAKETEAM', domain: 'fake-workspace' };
const APP_ID = 'A0FAKEAPP1';
/** The legacy verification token Slack still includes; Bolt ignores it. */
const VERIFICATION_TOKEN = 'fake-verification-token';

/** A Slack user as payloads name them. */
export interface SlackUser {
  readonly id: string;
  readonly name: string;
}

/** A click on a button of a message. */
export function blockActionsPayload(o: {
  user: SlackUser;
  channel: string;
  /** The message the button is on. */
  message: { ts: string; text?: string; blocks?: unknown[] };
  actionId: string;
  value: string;
  blockId?: string;
  triggerId: string;
  responseUrl: string;
}) {
  return {
    type: 'block_actions',
    user: { id: o.user.id, username: o.user.name, name: o.user.name, team_id: TEAM.id },
    api_app_id: APP_ID,
    token: VERIFICATION_TOKEN,
    container: { type: 'message', message_ts: o.message.ts, channel_id: o.channel, is_ephemeral: false },
    trigger_id: o.triggerId,
    team: TEAM,
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: o.channel, name: 'longhaul' },
    message: { type: 'message', ts: o.message.ts, text: o.message.text ?? '', blocks: o.message.blocks ?? [] },
    state: { values: {} },
    response_url: o.responseUrl,
    actions: [
      {
        action_id: o.actionId,
        block_id: o.blockId ?? 'longhaul_controls',
        value: o.value,
        type: 'button',
        text: { type: 'plain_text', text: o.actionId, emoji: true },
        action_ts: `${Math.floor(Date.now() / 1000)}.000100`,
      },
    ],
  };
}

/** A modal submitted: the view as opened, with the text typed into its one input. */
export function viewSubmissionPayload(o: {
  user: SlackUser;
  view: { id: string; callback_id: string; private_metadata?: string };
  input: { blockId: string; actionId: string; value: string };
  triggerId: string;
}) {
  return {
    type: 'view_submission',
    team: TEAM,
    user: { id: o.user.id, username: o.user.name, name: o.user.name, team_id: TEAM.id },
    api_app_id: APP_ID,
    token: VERIFICATION_TOKEN,
    trigger_id: o.triggerId,
    view: {
      id: o.view.id,
      team_id: TEAM.id,
      type: 'modal',
      callback_id: o.view.callback_id,
      private_metadata: o.view.private_metadata ?? '',
      state: {
        values: { [o.input.blockId]: { [o.input.actionId]: { type: 'plain_text_input', value: o.input.value } } },
      },
      hash: `${Date.now()}.abcdef`,
      app_id: APP_ID,
      bot_id: 'B0FAKEBOT1',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** A slash command's fields, as Slack sends them. */
export function slashCommandFields(o: {
  user: SlackUser;
  channel: string;
  command: string;
  text: string;
  triggerId: string;
  responseUrl: string;
}): Record<string, string> {
  return {
    token: VERIFICATION_TOKEN,
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: o.channel,
    channel_name: 'longhaul',
    user_id: o.user.id,
    user_name: o.user.name,
    command: o.command,
    text: o.text,
    api_app_id: APP_ID,
    is_enterprise_install: 'false',
    response_url: o.responseUrl,
    trigger_id: o.triggerId,
  };
}

/** The form body Slack posts an interaction payload in. */
export function interactionBody(payload: object): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** The form body of a slash command. */
export function slashCommandBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** Slack's request signature of `body` at `timestamp` (seconds). */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/**
 * POSTs `body` to the app as Slack does, signed with `secret` at `timestamp` (default now); `signature` replaces the
 * computed one (a forgery). Resolves with the HTTP status and the body the app answered.
 */
export async function postSigned(
  url: string,
  body: string,
  o: { secret: string; timestamp?: number; signature?: string },
): Promise<{ status: number; text: string }> {
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': o.signature ?? slackSignature(o.secret, timestamp, body),
    },
    body,
  });
  return { status: res.status, text: await res.text() };
}
