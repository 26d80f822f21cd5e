/**
 * Who steered a goal: the optional `by` of pause, resume, guide, ask, edit and cancel, recorded with the event it
 * causes. Absent for callers that do not say (the CLI, `temporal workflow signal`, histories from before it).
 */

/** The person behind a message, as the surface they used identifies them. */
export interface Actor {
  /** Where the message came from. */
  readonly via: 'slack';
  /** Their id there: a Slack user id (`U0123ABCD`). */
  readonly user: string;
  /** Their handle there, for people reading the events (`alice`); informative only. */
  readonly name?: string;
}

/** Longest id or name kept; longer ones are cut (the payload comes from a client, and stays small). */
const MAX_FIELD = 80;

/** The actor in a message argument, cleaned; undefined when absent or not an actor (an old or foreign caller). */
export function actorOf(raw: unknown): Actor | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { via, user, name } = raw as Record<string, unknown>;
  if (via !== 'slack' || typeof user !== 'string') return undefined;
  const id = clean(user);
  if (id === '') return undefined;
  const handle = typeof name === 'string' ? clean(name) : '';
  return handle === '' ? { via, user: id } : { via, user: id, name: handle };
}

/** " by @alice (Slack U0ALICE)", or "" without an actor: appended to event texts. */
export function byText(by: Actor | undefined | null): string {
  if (!by) return '';
  return by.name ? ` by @${by.name} (Slack ${by.user})` : ` by Slack user ${by.user}`;
}

/** Control characters (they would garble an event line). */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f]/g;

function clean(text: string): string {
  return text.replace(CONTROLS, '').trim().slice(0, MAX_FIELD);
}
