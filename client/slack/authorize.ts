/**
 * Who may steer goals from Slack. With SLACK_ALLOWED_USERS set, exactly those user ids; without it, the members of
 * the goal's Slack channel (`conversations.members`; for `list`, of SLACK_CHANNEL). Anyone else is refused, with a
 * message that says how to get access, and nothing happens. Refusals are Slack mrkdwn (channel links; the goal id
 * escaped).
 */
import { escapeMrkdwn } from '../../activities/reporting/slack/render';

/** The rule in force. */
export interface AccessPolicy {
  /** Slack user ids allowed to act on every goal; null: the members of the goal's channel. */
  readonly allowedUsers: ReadonlySet<string> | null;
  /** The channel whose members may use `list` when there is no allow-list (SLACK_CHANNEL); null: nobody may. */
  readonly defaultChannel: string | null;
}

/** How the members of a channel are found (the Slack Web API in the app, a stub in unit tests). */
export type ChannelMembers = (channel: string) => Promise<ReadonlySet<string>>;

export type AccessDecision = { readonly ok: true } | { readonly ok: false; readonly why: string };

/** How long a channel's member list is reused before it is asked for again. */
const MEMBERS_TTL_MS = 30_000;

/** Reads SLACK_ALLOWED_USERS: Slack user ids (`U0123ABCD`) separated by commas or spaces; null when unset or empty. */
export function parseAllowedUsers(text: string | undefined): ReadonlySet<string> | null {
  const ids = (text ?? '').split(/[\s,]+/).filter((id) => id !== '');
  if (ids.length === 0) return null;
  const bad = ids.filter((id) => !/^[UW][A-Z0-9]{2,}$/.test(id));
  if (bad.length > 0) {
    throw new Error(
      `SLACK_ALLOWED_USERS holds ${bad.map((b) => JSON.stringify(b.slice(0, 40))).join(', ')}, which ${bad.length > 1 ? 'are not Slack user ids' : 'is not a Slack user id'}: ` +
        'list member ids (profile → ⋮ → Copy member ID, e.g. U0123ABCD), separated by commas',
    );
  }
  return new Set(ids);
}

/** Decides, per request, whether a Slack user may act; channel member lists are cached briefly. */
export class SlackAccess {
  private readonly cache = new Map<string, { at: number; members: ReadonlySet<string> }>();

  constructor(
    private readonly policy: AccessPolicy,
    private readonly members: ChannelMembers,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * May `user` steer `goalId`? `goalChannel` finds the channel of the goal's Slack thread (null: it has none yet),
   * asked only when membership decides.
   */
  async mayActOnGoal(user: string, goalId: string, goalChannel: () => Promise<string | null>): Promise<AccessDecision> {
    if (this.policy.allowedUsers) return this.inList(user);
    const channel = await goalChannel();
    const goal = escapeMrkdwn(goalId);
    if (channel === null) {
      return refuse(
        `goal ${goal} has no Slack channel yet, so nobody is its member: set SLACK_ALLOWED_USERS on the Slack app to let named people steer it`,
      );
    }
    return (await this.isMember(channel, user))
      ? { ok: true }
      : refuse(
          `only members of the goal's channel ${channelRef(channel)} may steer ${goal}: join it, or ask for your id (${user}) to be added to SLACK_ALLOWED_USERS`,
        );
  }

  /** May `user` see the list of goals? */
  async mayList(user: string): Promise<AccessDecision> {
    if (this.policy.allowedUsers) return this.inList(user);
    const channel = this.policy.defaultChannel;
    if (channel === null) {
      return refuse('listing goals needs SLACK_ALLOWED_USERS or SLACK_CHANNEL set on the Slack app');
    }
    return (await this.isMember(channel, user))
      ? { ok: true }
      : refuse(
          `only members of ${channelRef(channel)} may list goals: join it, or ask for your id (${user}) to be allowed`,
        );
  }

  private inList(user: string): AccessDecision {
    return this.policy.allowedUsers?.has(user)
      ? { ok: true }
      : refuse(
          `you are not allowed to steer goals: ask for your Slack id (${user}) to be added to SLACK_ALLOWED_USERS`,
        );
  }

  private async isMember(channel: string, user: string): Promise<boolean> {
    const cached = this.cache.get(channel);
    if (cached && this.now() - cached.at < MEMBERS_TTL_MS) return cached.members.has(user);
    const members = await this.members(channel);
    this.cache.set(channel, { at: this.now(), members });
    return members.has(user);
  }
}

/** A channel as Slack links it (`<#C0123>`) when it is an id, else as given. */
function channelRef(channel: string): string {
  return /^[CG][A-Z0-9]+$/.test(channel) ? `<#${channel}>` : channel;
}

function refuse(why: string): AccessDecision {
  return { ok: false, why };
}
