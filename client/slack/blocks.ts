/**
 * What the Slack app shows: the Ask and Guide modals (their goal and thread ride in `private_metadata`, never a
 * secret) and its replies. Everything a person or the model wrote is escaped (no mention, no link can be injected);
 * only the acting user is mentioned, by the id Slack's signed payload gave.
 */
import { cap, escapeMrkdwn, SLACK_LIMITS } from '../../activities/reporting/slack/render';
import { MAX_QUESTION_CHARS } from '../../goal/messages';
import { MAX_GUIDANCE_CHARS } from '../../goal/run';

/** The modals' `callback_id`s. */
export const MODALS = { ask: 'longhaul_ask_modal', guide: 'longhaul_guide_modal' } as const;
/** Block and action ids of the modals' one text input. */
export const MODAL_INPUT = { block: 'longhaul_text', action: 'text' } as const;

/** Where a modal's answer goes: the goal, and its thread when opened from the goal's message. */
export interface ModalContext {
  readonly goalId: string;
  readonly channel: string | null;
  readonly threadTs: string | null;
}

/** A modal asking for a side question or guidance for the goal in `ctx`. */
export function modalView(kind: keyof typeof MODALS, ctx: ModalContext) {
  const ask = kind === 'ask';
  return {
    type: 'modal' as const,
    callback_id: MODALS[kind],
    private_metadata: JSON.stringify(ctx),
    title: { type: 'plain_text' as const, text: ask ? 'Ask the goal' : 'Guide the agent' },
    submit: { type: 'plain_text' as const, text: ask ? 'Ask' : 'Send' },
    close: { type: 'plain_text' as const, text: 'Cancel' },
    blocks: [
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `goal \`${cap(escapeMrkdwn(ctx.goalId), 200)}\`` }],
      },
      {
        type: 'input',
        block_id: MODAL_INPUT.block,
        label: {
          type: 'plain_text',
          text: ask ? 'A side question (it never changes the run)' : 'Guidance for the next turn',
        },
        element: {
          type: 'plain_text_input',
          action_id: MODAL_INPUT.action,
          multiline: true,
          max_length: ask ? MAX_QUESTION_CHARS : MAX_GUIDANCE_CHARS,
          placeholder: {
            type: 'plain_text',
            text: ask ? 'What are you trying now?' : 'The slow part is the type-check; look at tsconfig first.',
          },
        },
      },
    ],
  };
}

/** The context a submitted modal carries; null when it is not one of ours. */
export function modalContext(privateMetadata: string | undefined): ModalContext | null {
  try {
    const v = JSON.parse(privateMetadata ?? '') as Partial<ModalContext>;
    if (typeof v.goalId !== 'string' || v.goalId === '') return null;
    return {
      goalId: v.goalId,
      channel: typeof v.channel === 'string' ? v.channel : null,
      threadTs: typeof v.threadTs === 'string' ? v.threadTs : null,
    };
  } catch {
    return null;
  }
}

/** `<@U0123>` for a Slack user id, else the id escaped (a payload we did not expect). */
export function mention(user: string): string {
  return /^[UW][A-Z0-9]+$/.test(user) ? `<@${user}>` : escapeMrkdwn(user);
}

/** Text for Slack: escaped and capped to what a message may hold. */
export function plain(text: string, max: number = SLACK_LIMITS.section): string {
  return cap(escapeMrkdwn(text), max);
}

/** The thread reply after a question asked from Slack. */
export function askReply(user: string, question: string, answer: string, turn: number): string {
  return cap(
    `❓ ${mention(user)} asked: ${plain(question, 500)}\n>${plain(answer, 2400).replace(/\n/g, '\n>')}\n_(answered from a snapshot at turn ${turn})_`,
    SLACK_LIMITS.section,
  );
}

/** The thread reply after guidance sent from Slack. */
export function guideReply(user: string, text: string): string {
  return cap(
    `🧭 Guidance from ${mention(user)}: ${plain(text, 2500)}\n_(the agent gets it at its next turn)_`,
    SLACK_LIMITS.section,
  );
}

/** Terminal-style text (status, list) as a Slack code block. */
export function codeBlock(text: string): string {
  return `\`\`\`\n${cap(escapeMrkdwn(text).replace(/```/g, "'''"), SLACK_LIMITS.section - 8)}\n\`\`\``;
}
