/** Slack's settings from the environment, apart from the Slack client (so the CLI need not load it). */
import { isHttpUrl } from '../../../common/http-url';

/** How to reach Slack; held by the worker, never passed through workflow history. */
export interface SlackDeps {
  /** A bot token (`xoxb-…`), from SLACK_BOT_TOKEN. */
  readonly token: string;
  /**
   * Base URL of the Web API, from SLACK_API_URL (a loopback fake in tests).
   * @default 'https://slack.com/api/'
   */
  readonly apiUrl?: string;
  /**
   * Deadline of one HTTP call, response body included.
   * @default 10_000
   */
  readonly timeoutMs?: number;
}

/** The Slack settings read from the environment: how to reach Slack and where to post. */
export interface SlackConfig extends SlackDeps {
  /** Where goals post by default, from SLACK_CHANNEL: a channel ID (`C0123ABCD`, best) or a name (`#longhaul`). */
  readonly channel: string;
}

/**
 * Reads the Slack settings from the environment: null when SLACK_BOT_TOKEN is unset or empty (Slack off). Throws an
 * `Error` that says how to fix a bad setting; the token is never part of it.
 */
export function slackConfigFromEnv(env: Readonly<Record<string, string | undefined>>): SlackConfig | null {
  const token = env['SLACK_BOT_TOKEN']?.trim() ?? '';
  if (token === '') return null;
  if (/\s/.test(token)) {
    throw new Error('SLACK_BOT_TOKEN contains whitespace: copy the bot token (xoxb-…) again, without spaces');
  }
  const channel = env['SLACK_CHANNEL']?.trim() ?? '';
  if (channel === '') {
    throw new Error(
      'SLACK_BOT_TOKEN is set but SLACK_CHANNEL is not: set it to the channel for goal updates (its ID, e.g. ' +
        'C0123456789, from the channel details, or #name), or unset SLACK_BOT_TOKEN to run without Slack',
    );
  }
  const apiUrl = env['SLACK_API_URL']?.trim() ?? '';
  if (apiUrl !== '' && !isHttpUrl(apiUrl)) {
    throw new Error(
      `SLACK_API_URL is not an http(s) URL (${JSON.stringify(apiUrl)}): use e.g. https://slack.com/api/, or unset it`,
    );
  }
  return { token, channel, ...(apiUrl !== '' && { apiUrl }) };
}
