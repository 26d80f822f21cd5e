/**
 * Renders a goal for Slack, pure and deterministic: the parent status message (Block Kit blocks plus the plain-text
 * fallback Slack shows in notifications) and one thread reply per significant event. Laid out to be read on a phone.
 *
 * Everything user-provided (objective, metric names, reasons, event text) goes through {@link escapeMrkdwn} before it
 * lands in mrkdwn, so it can neither mention (`<!channel>`) nor link, and every text is capped to Slack's limits
 * ({@link SLACK_LIMITS}) so a long objective or report can never get a message rejected.
 *
 * While the goal runs, the parent carries the control buttons the Slack app (client/slack-app.ts) answers: each
 * button's value is the goal id and nothing else.
 */
import { formatValue } from '../../../goal/values';
import type { Verdict } from '../../../goal/decision';
import { EVENT_KINDS, type EventKind, type GoalStatusName, type Phase } from '../../../goal/status';

/** The kinds of event that get a thread reply: the goal's significant events (goal/status.ts). */
export const SLACK_EVENT_KINDS = EVENT_KINDS;
export type SlackEventKind = EventKind;

/** One significant event, posted as a thread reply exactly once. */
export interface SlackEvent {
  /** Idempotency key, unique within the goal (e.g. `ev-17`): Slack gets at most one reply per key. */
  readonly key: string;
  readonly kind: SlackEventKind;
  /**
   * What happened, usually one line. Slack mrkdwn styling (`*bold*`, `` `code` ``) works; `&`, `<` and `>` are escaped,
   * so the text cannot mention anyone or link anywhere.
   */
  readonly text: string;
  /** When it happened (epoch ms). */
  readonly at: number;
}

/** One metric as the status message shows it: `baseline → best (target)`. */
export interface SlackMetric {
  readonly name: string;
  readonly direction: 'lower' | 'higher';
  readonly baseline: number | null;
  readonly best: number | null;
  readonly latest: number | null;
  /** The absolute threshold (relative targets already resolved). */
  readonly target: number | null;
  readonly verdict: Verdict;
}

/** The goal's live status, as the parent message shows it. Small and JSON-plain: it travels through history. */
export interface SlackStatus {
  readonly goalId: string;
  readonly objective: string;
  readonly status: GoalStatusName;
  readonly phase: Phase;
  readonly turn: number;
  /** Null when the goal has no turn limit. */
  readonly maxTurns: number | null;
  /** Progress toward the criteria, 0..1 (clamped). */
  readonly progress: number;
  readonly metrics: readonly SlackMetric[];
  /** Budget use, pre-formatted, e.g. `turns 17/50 · tokens 120k/1M · $1.20/$20`. */
  readonly budget: string;
  readonly paused: boolean;
  /** Why the goal is paused, needs attention or ended; null when there is nothing to say. */
  readonly reason: string | null;
  /** When this status was taken (epoch ms). */
  readonly updatedAt: number;
  /** The spec says `sandbox: off`: the agent's shell runs with the worker's rights (absent otherwise). */
  readonly unsandboxed?: boolean;
}

/** A Block Kit text object. */
export interface SlackText {
  readonly type: 'plain_text' | 'mrkdwn';
  readonly text: string;
  readonly emoji?: boolean;
}

/** A button of the parent message's controls. */
export interface SlackButton {
  readonly type: 'button';
  readonly action_id: string;
  readonly text: SlackText;
  /** The goal id, nothing else (never a secret). */
  readonly value: string;
  readonly style?: 'primary' | 'danger';
  readonly confirm?: {
    readonly title: SlackText;
    readonly text: SlackText;
    readonly confirm: SlackText;
    readonly deny: SlackText;
    readonly style: 'danger';
  };
}

/** The few Block Kit blocks Longhaul uses. */
export type SlackBlock =
  | { readonly type: 'header'; readonly text: SlackText }
  | { readonly type: 'section'; readonly text: SlackText }
  | { readonly type: 'context'; readonly elements: readonly SlackText[] }
  | { readonly type: 'actions'; readonly block_id: string; readonly elements: readonly SlackButton[] };

/** The `action_id`s of the parent message's buttons, answered by the Slack app. */
export const CONTROL_ACTIONS = {
  pause: 'longhaul_pause',
  resume: 'longhaul_resume',
  cancel: 'longhaul_cancel',
  ask: 'longhaul_ask',
  guide: 'longhaul_guide',
} as const;
/** The `block_id` of the buttons. */
export const CONTROLS_BLOCK_ID = 'longhaul_controls';

/** A message ready for `chat.postMessage` / `chat.update`: `text` is the fallback shown in notifications. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: SlackBlock[];
}

/** Slack's length limits, in characters. */
export const SLACK_LIMITS = {
  /** A header block's plain text. */
  header: 150,
  /** A section block's text. */
  section: 3000,
  /** A context block's text element (Slack's general text-object limit; kept lower for a phone). */
  context: 2000,
  /** The top-level `text` we send (Slack truncates at 40,000; the notification only shows the start). */
  fallback: 3000,
} as const;

/** Slack's limit on a button's value. */
const MAX_BUTTON_VALUE = 2000;

/** Cells in the text progress bar. */
const BAR_CELLS = 10;

const STATUS_LABELS: Record<GoalStatusName, string> = {
  running: '🔄 Running',
  achieved: '✅ Achieved',
  budget_exhausted: '⛽ Budget exhausted',
  stalled: '🐢 Stalled',
  blocked: '🚧 Blocked',
  cancelled: '🛑 Cancelled',
  failed: '❌ Failed',
};

const PHASE_LABELS: Record<Phase, string> = {
  baseline: 'measuring the baseline',
  working: 'working',
  verifying: 'verifying',
  finalizing: 'finalizing',
  done: 'done',
};

const EVENT_EMOJI: Record<SlackEventKind, string> = {
  baseline: '📏',
  new_best: '🏆',
  milestone: '📌',
  verification: '🔬',
  edit: '✏️',
  paused: '⏸️',
  resumed: '▶️',
  attention: '⚠️',
  host: '🖥️',
  final: '🏁',
};

/** The parent message: objective as header, status and progress bar, metrics, budget and update time. */
export function renderStatus(status: SlackStatus): SlackMessage {
  const objective = oneLine(status.objective) || 'Longhaul goal';
  const label = status.paused && status.status === 'running' ? '⏸️ Paused' : STATUS_LABELS[status.status];
  const turn = status.maxTurns === null ? `turn ${status.turn}` : `turn ${status.turn}/${status.maxTurns}`;
  const bar = progressBar(status.progress);

  const summary = [`*${label}* · ${PHASE_LABELS[status.phase]} · ${turn}`, bar];
  const reason = status.reason === null ? '' : oneLine(status.reason);
  if (reason) {
    const mark = status.paused ? '⏸️ ' : status.status === 'running' ? '⚠️ ' : '';
    summary.push(`${mark}${cap(escapeMrkdwn(reason), 1000)}`);
  }
  if (status.unsandboxed) summary.push("⚠️ *Unsandboxed* (sandbox: off): the agent's shell has the worker's rights");

  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: cap(objective, SLACK_LIMITS.header), emoji: true } },
    section(summary.join('\n')),
  ];
  if (status.metrics.length > 0) blocks.push(section(metricLines(status)));
  const budget = oneLine(status.budget);
  const context: SlackText[] = [];
  if (budget) context.push(mrkdwn(cap(escapeMrkdwn(budget), SLACK_LIMITS.context)));
  context.push(mrkdwn(`updated ${slackDate(status.updatedAt)} · goal \`${cap(escapeMrkdwn(status.goalId), 200)}\``));
  blocks.push({ type: 'context', elements: context });
  if (status.status === 'running' && status.phase !== 'done' && status.goalId.length <= MAX_BUTTON_VALUE) {
    blocks.push(controls(status.goalId, status.paused));
  }

  const fallback = `${label} · ${bar} · ${turn} — ${escapeMrkdwn(objective)}`;
  return { text: cap(fallback, SLACK_LIMITS.fallback), blocks };
}

/** One thread reply: the kind's emoji and the event's text, escaped and capped. */
export function renderEvent(event: SlackEvent): SlackMessage {
  const text = `${EVENT_EMOJI[event.kind]} ${escapeMrkdwn(event.text.trim())}`;
  return { text: cap(text, SLACK_LIMITS.fallback), blocks: [section(text)] };
}

/** `▓▓▓▓▓▓░░░░ 62%`; the bar and the percentage round down, so only a finished goal shows full. */
export function progressBar(progress: number): string {
  const p = Number.isFinite(progress) ? Math.min(1, Math.max(0, progress)) : 0;
  const filled = Math.floor(p * BAR_CELLS + 1e-9);
  const percent = Math.floor(p * 100 + 1e-9);
  return `${'▓'.repeat(filled)}${'░'.repeat(BAR_CELLS - filled)} ${percent}%`;
}

/** A metric as `*name* ↓ 92.1 → *61.4* (target ≤ 64.5) ✅`. */
export function metricLine(metric: SlackMetric, running = true): string {
  const arrow = metric.direction === 'lower' ? '↓' : '↑';
  const sign = metric.direction === 'lower' ? '≤' : '≥';
  const target = metric.target === null ? 'no target' : `target ${sign} ${formatNumber(metric.target)}`;
  const mark = verdictMark(metric.verdict, running);
  const name = cap(escapeMrkdwn(oneLine(metric.name)), 100);
  return `*${name}* ${arrow} ${formatNumber(metric.baseline)} → *${formatNumber(metric.best)}* (${target})${mark}`;
}

/**
 * Escapes Slack's control characters (`&`, `<`, `>`) so user text shows as typed and cannot mention, link or inject
 * a `<!date>`; other mrkdwn (`*`, `_`, `` ` ``) is left alone. Also drops control characters other than newline/tab.
 */
export function escapeMrkdwn(text: string): string {
  return stripControls(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Caps `text` at `max` characters (UTF-16 units, as Slack counts), ending in `…` when cut; never splits a surrogate
 * pair or an escape like `&amp;`.
 */
export function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  const amp = cut.lastIndexOf('&');
  if (amp !== -1 && amp >= cut.length - 4 && !cut.includes(';', amp)) cut = cut.slice(0, amp);
  return `${cut}…`;
}

/** A number for people: integers as they are, others to 4 significant digits; `—` when absent. */
export function formatNumber(value: number | null): string {
  return value === null || !Number.isFinite(value) ? '—' : formatValue(value);
}

function metricLines(status: SlackStatus): string {
  const running = status.status === 'running';
  const lines: string[] = [];
  let length = 0;
  for (const [i, metric] of status.metrics.entries()) {
    const line = metricLine(metric, running);
    // Keep room for the "… and N more" line.
    if (length + line.length + 1 > SLACK_LIMITS.section - 40) {
      lines.push(`… and ${status.metrics.length - i} more`);
      break;
    }
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join('\n');
}

function verdictMark(verdict: Verdict, running: boolean): string {
  switch (verdict) {
    case 'MET':
      return ' ✅';
    case 'INCONCLUSIVE':
      return ' ❔';
    case 'NOT_MET':
      return running ? '' : ' ❌';
    case 'UNKNOWN':
      return '';
  }
}

/**
 * Slack's date token: each reader sees the time in their own time zone; the fallback (UTC) shows where the token is
 * not rendered.
 */
function slackDate(at: number): string {
  if (!Number.isFinite(at)) return 'at an unknown time';
  const iso = new Date(at).toISOString();
  const fallback = `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
  return `<!date^${Math.floor(at / 1000)}^{date_short_pretty} {time}|${fallback}>`;
}

/** Pause (or Resume), Guide, Ask and Cancel (with a confirm dialog), for a running goal. */
function controls(goalId: string, paused: boolean): SlackBlock {
  const button = (action_id: string, text: string, extra: Partial<SlackButton> = {}): SlackButton => ({
    type: 'button',
    action_id,
    text: { type: 'plain_text', text, emoji: true },
    value: goalId,
    ...extra,
  });
  const plain = (text: string): SlackText => ({ type: 'plain_text', text });
  return {
    type: 'actions',
    block_id: CONTROLS_BLOCK_ID,
    elements: [
      paused
        ? button(CONTROL_ACTIONS.resume, '▶️ Resume', { style: 'primary' })
        : button(CONTROL_ACTIONS.pause, '⏸️ Pause'),
      button(CONTROL_ACTIONS.guide, '🧭 Guide'),
      button(CONTROL_ACTIONS.ask, '❓ Ask'),
      button(CONTROL_ACTIONS.cancel, '🛑 Cancel', {
        style: 'danger',
        confirm: {
          title: plain('Cancel this goal?'),
          text: mrkdwn('The goal stops and ends `cancelled`, with its final report. Its workspace and store stay.'),
          confirm: plain('Cancel the goal'),
          deny: plain('Keep it running'),
          style: 'danger',
        },
      }),
    ],
  };
}

function section(text: string): SlackBlock {
  return { type: 'section', text: mrkdwn(cap(text, SLACK_LIMITS.section)) };
}

function mrkdwn(text: string): SlackText {
  return { type: 'mrkdwn', text };
}

/** Drops control characters other than newline and tab (they render as garbage or break the payload). */
function stripControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
}

/** Collapses whitespace (newlines included) to single spaces: headers and status lines are one line. */
function oneLine(text: string): string {
  return stripControls(text).replace(/\s+/g, ' ').trim();
}
