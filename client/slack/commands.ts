/**
 * The `/longhaul` slash command's text, parsed: `status ID`, `list`, `pause ID [reason]`, `resume ID`,
 * `guide ID text`, `ask ID question`, `edit ID --max-turns N …`. `edit` takes the flags of `longhaul edit` and goes
 * through the same parsing and validation (client/spec-input.ts `editFromFlags`), so bad input gets the same error.
 */
import { InvalidEditError, type GoalEdit } from '../../goal/edit';
import { editFromFlags, type EditFlags } from '../spec-input';

export type SlashCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'list' }
  | { readonly kind: 'status' | 'resume'; readonly goalId: string }
  | { readonly kind: 'pause'; readonly goalId: string; readonly reason?: string }
  | { readonly kind: 'guide'; readonly goalId: string; readonly text: string }
  | { readonly kind: 'ask'; readonly goalId: string; readonly question: string }
  | { readonly kind: 'edit'; readonly goalId: string; readonly edit: GoalEdit };

/** What the command answers to `help` and to text it cannot read. */
export const SLASH_USAGE = [
  '`/longhaul list` — the goals, newest first',
  '`/longhaul status ID` — a goal’s phase, metrics, checks and budget',
  '`/longhaul pause ID [reason]` · `/longhaul resume ID`',
  '`/longhaul guide ID text` — guidance for the agent’s next turn',
  '`/longhaul ask ID question` — a side question, answered from a snapshot',
  '`/longhaul edit ID --max-turns N` (and the other flags of `longhaul edit`: --objective, --guidance, ' +
    '--target NAME=VALUE, --max-tokens, --max-hours, --max-cost, --editable GLOB, --reason)',
].join('\n');

/** Thrown for text the command cannot read; the message says what to type instead. */
export class SlashUsageError extends Error {
  override readonly name = 'SlashUsageError';
}

/** `longhaul edit` flags a Slack user may give, by name, and whether they repeat. `--file` is not one. */
const EDIT_FLAGS: Readonly<Record<string, { key: keyof EditFlags; repeat?: true }>> = {
  '--objective': { key: 'objective' },
  '--guidance': { key: 'guidance' },
  '--target': { key: 'target', repeat: true },
  '--max-turns': { key: 'maxTurns' },
  '--max-tokens': { key: 'maxTokens' },
  '--max-hours': { key: 'maxHours' },
  '--max-cost': { key: 'maxCost' },
  '--editable': { key: 'editable', repeat: true },
  '--reason': { key: 'reason' },
};

/** Parses the text after `/longhaul`; throws SlashUsageError (or InvalidEditError for a bad edit). */
export function parseSlashCommand(text: string): SlashCommand {
  const trimmed = normalizeQuotes(text).trim();
  const [verb = '', ...rest] = splitWords(trimmed);
  const name = verb.toLowerCase();
  if (name === '' || name === 'help') return { kind: 'help' };
  if (name === 'list') {
    if (rest.length > 0) throw new SlashUsageError('`list` takes nothing after it: `/longhaul list`');
    return { kind: 'list' };
  }
  if (!['status', 'pause', 'resume', 'guide', 'ask', 'edit'].includes(name)) {
    throw new SlashUsageError(`unknown command "${verb}". Use one of:\n${SLASH_USAGE}`);
  }
  const goalId = rest[0];
  if (goalId === undefined || goalId.startsWith('-')) {
    throw new SlashUsageError(`\`${name}\` needs a goal id: \`/longhaul ${name} ID …\` (see \`/longhaul list\`)`);
  }
  // The free text keeps the user's spacing: everything after the id.
  const after = trimmed.slice(trimmed.indexOf(goalId, verb.length) + goalId.length).trim();
  switch (name) {
    case 'status':
    case 'resume':
      if (after !== '') throw new SlashUsageError(`\`${name}\` takes only a goal id: \`/longhaul ${name} ${goalId}\``);
      return { kind: name, goalId };
    case 'pause':
      return after === '' ? { kind: 'pause', goalId } : { kind: 'pause', goalId, reason: unquote(after) };
    case 'guide':
      if (after === '') throw new SlashUsageError(`say what the agent should know: \`/longhaul guide ${goalId} text\``);
      return { kind: 'guide', goalId, text: unquote(after) };
    case 'ask':
      if (after === '')
        throw new SlashUsageError(`ask something: \`/longhaul ask ${goalId} what are you trying now?\``);
      return { kind: 'ask', goalId, question: unquote(after) };
    default:
      return { kind: 'edit', goalId, edit: editFromFlags(editFlags(rest.slice(1))) };
  }
}

/** `longhaul edit`'s flags from words (`--max-turns 50`, `--max-turns=50`, repeatable `--target`). */
function editFlags(words: readonly string[]): EditFlags {
  if (words.length === 0) {
    throw new InvalidEditError([
      'an edit must change something: e.g. `/longhaul edit ID --max-turns 80` (flags as for `longhaul edit`)',
    ]);
  }
  const flags: EditFlags = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const eq = word.indexOf('=');
    const flag = word.startsWith('--') && eq > 0 ? word.slice(0, eq) : word;
    if (flag === '--file') {
      throw new InvalidEditError(['--file is not available from Slack: give the flags (e.g. --max-turns 80) instead']);
    }
    const spec = EDIT_FLAGS[flag];
    if (!spec) {
      throw new InvalidEditError([
        word.startsWith('-')
          ? `unknown option ${flag}: use ${Object.keys(EDIT_FLAGS).join(', ')}`
          : `unexpected "${word}": give flags with values, e.g. --max-turns 80 --reason "more room"`,
      ]);
    }
    let value: string | undefined;
    if (flag !== word) value = word.slice(eq + 1);
    else value = words[++i];
    if (value === undefined) throw new InvalidEditError([`option ${flag} needs a value`]);
    const f = flags as Record<string, string | string[] | undefined>;
    if (spec.repeat) f[spec.key] = [...((f[spec.key] as string[] | undefined) ?? []), value];
    else f[spec.key] = value;
  }
  return flags;
}

/** Words split on whitespace, with "double" or 'single' quotes grouping words (quotes removed). */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of normalizeQuotes(text).matchAll(pattern)) words.push(m[1] ?? m[2] ?? m[3] ?? '');
  return words;
}

/** Slack's clients turn typed quotes into curly ones: read them as straight quotes. */
function normalizeQuotes(text: string): string {
  return text.replace(/[\u201c\u201d\u201e]/g, '"').replace(/[\u2018\u2019]/g, "'");
}

/** Free text wrapped whole in quotes loses them. */
function unquote(text: string): string {
  const m = /^"(.*)"$|^'(.*)'$/s.exec(text);
  return (m ? (m[1] ?? m[2] ?? '') : text).trim();
}
