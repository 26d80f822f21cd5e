/**
 * The shell tool's command policy: a deny list of commands an agent should never run on the user's machine (pushes,
 * force-pushes, deleting the root, the home folder or the workspace, root access, writing into system locations or
 * shell start-up files, piping a download into a shell, formatting disks, fork bombs, shutting the machine down).
 * A goal spec adds its own deny patterns and exempts commands from the default rules with allow patterns.
 *
 * A guard-rail against an agent's mistakes, not a sandbox: it reads the command text, so a command that builds
 * another at run time (a script file, `eval "$(…)"`, an interpreter) is not seen. Isolation needs a container or
 * a VM around the worker.
 */

/** A refused command: which rule, why, and what to do instead. */
export interface CommandRefusal {
  /** The rule's id, e.g. `git-force-push`, or `spec-deny` for a pattern of the goal spec. */
  readonly rule: string;
  /** The part of the command that matched. */
  readonly segment: string;
  readonly why: string;
  readonly instead: string;
}

/** The goal spec's part of the policy (regular expressions, tested against each part of a command). */
export interface CommandPolicySpec {
  /** Extra rules: a part of the command that matches one of these is refused (allow does not override them). */
  readonly deny?: readonly string[];
  /** A part of the command that matches one of these is exempt from the default rules. */
  readonly allow?: readonly string[];
}

export interface PolicyContext {
  /** The workspace root (absolute): deleting it or a folder above it is refused. */
  readonly workspace: string;
  /** The user's home folder (absolute). */
  readonly home: string;
}

interface Rule {
  readonly id: string;
  /** Whether the (normalised, prefix-stripped) part of a command breaks the rule. */
  readonly test: (part: Part, ctx: PolicyContext) => boolean;
  readonly why: string;
  readonly instead: string;
}

/** One simple command of a command line, normalised. */
interface Part {
  /** As written (whitespace collapsed). */
  readonly raw: string;
  /** Without quotes, leading assignments, keywords and wrappers (`sudo`, `env`, `bash -c`, `xargs` …). */
  readonly core: string;
  readonly words: readonly string[];
  /** Whether a wrapper that gains root (`sudo`, `doas`, `su`, `pkexec`) was stripped. */
  readonly root: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

const WRAPPER =
  /^(?:(?:if|then|else|elif|do|while|until|!|\{|command|builtin|exec|nohup|time|stdbuf(?:\s+-\S+)*|nice(?:\s+-n\s*-?\d+|\s+-\d+)?|ionice(?:\s+-\S+)*|timeout(?:\s+-\S+)*\s+\d+\S*|env(?:\s+-\S+)*|xargs(?:\s+-\S+)*|(?:ba|z|da|k|fi)?sh\s+(?:-\S+\s+)*-c|eval|sudo(?:\s+-\S+)*|doas|pkexec|su\s+(?:-\S*\s+)*-c)\s+|[A-Za-z_][A-Za-z0-9_]*=\S*\s+)/;
const ROOT = /^(?:sudo|doas|pkexec|su)\b/;

/** The simple commands of a command line: split at `;`, `&&`, `||`, `|`, `&`, newlines and `$(`/`(`/`)`/backticks. */
export function commandParts(command: string): Part[] {
  const text = command
    .replace(/\\\r?\n/g, ' ') // line continuations
    .replace(/\$\{HOME\}/g, '$HOME')
    .replace(/\d*>&\d*-?|<&\d*-?/g, ' ') // fd duplications (2>&1) are no separators
    .replace(/&>>?/g, '>');
  return text
    .split(/&&|\|\||[;&|\n()`]/)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s !== '')
    .map(toPart);
}

function toPart(raw: string): Part {
  let core = raw.replace(/["']/g, '').trim();
  let root = false;
  for (let i = 0; i < 20; i++) {
    const m = WRAPPER.exec(core);
    if (!m) break;
    if (ROOT.test(m[0])) root = true;
    core = core.slice(m[0].length).trim();
  }
  if (ROOT.test(core)) root = true; // a bare `sudo -i`, `su -`, `su root`
  return { raw, core, words: core.split(' '), root };
}

// ---------------------------------------------------------------------------------------------------------------
// Paths

/** System folders: deleting, changing the mode of or writing anything in them is refused. */
const SYSTEM_TREES = ['/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/root'];
const SYSTEM_TREES_2 = ['/sbin', '/sys', '/usr', '/System', '/Library', '/opt', '/srv'];
/** Folders that may hold temporary or user files inside, but must not go themselves. */
const SYSTEM_FOLDERS = ['/var', '/home', '/Users', '/mnt', '/media', '/private', '/tmp', '/Applications', '/snap'];
/** Places under /dev that are ordinary to write to. */
const HARMLESS_DEVICES = /^\/dev\/(null|zero|stdout|stderr|stdin|tty|fd\/\d+|shm(\/.*)?)$/;
/** The user's start-up files and credentials: writing them changes every later shell or login of the user. */
const HOME_DOTFILES =
  /^(\.ssh|\.aws|\.azure|\.gnupg|\.kube|\.docker|\.config\/gcloud|\.bashrc|\.bash_profile|\.bash_login|\.profile|\.zshrc|\.zshenv|\.zprofile|\.gitconfig|\.npmrc|\.netrc|\.pypirc)(\/.*)?$/;

/** A path as written (`~`, `$HOME`, quotes, trailing `/`, `/*` or `/.`) in absolute form, or null if relative. */
function absolute(word: string, ctx: PolicyContext): string | null {
  let p = word.replace(/["']/g, '');
  if (p === '~' || p.startsWith('~/')) p = ctx.home + p.slice(1);
  else if (p === '$HOME' || p.startsWith('$HOME/')) p = ctx.home + p.slice('$HOME'.length);
  if (!p.startsWith('/')) return null;
  p = p.replace(/\/+/g, '/');
  for (;;) {
    const next = p.replace(/\/(\*|\.)?$/, '');
    if (next === p || next === '') break;
    p = next;
  }
  return p === '' ? '/' : p;
}

const under = (p: string, dir: string) => p === dir || p.startsWith(`${dir}/`);

/** Whether deleting (recursively) this path would remove the machine's, the user's or the workspace's files. */
function isDestructiveTarget(word: string, ctx: PolicyContext): boolean {
  if (word === '..' || /^(\.\.\/)+(\*|\.\.?)?$/.test(word) || /(^|\/)\.git\/?$/.test(word)) return true;
  const p = absolute(word, ctx);
  if (p === null) return false;
  if (p.startsWith(`${ctx.workspace}/`)) return false; // inside the workspace (.git aside): the agent's to change
  if (p === '/' || p === '/*') return true;
  if ([...SYSTEM_TREES, ...SYSTEM_TREES_2].some((d) => under(p, d))) return true;
  if (SYSTEM_FOLDERS.includes(p) || /^\/(home|Users)\/[^/]+$/.test(p)) return true;
  // The home folder, the workspace, or a folder that contains either of them.
  return [ctx.home, ctx.workspace].some((d) => d === p || d.startsWith(`${p}/`));
}

/** Whether writing this path changes the system or the user's shell start-up and credentials. */
function isProtectedWrite(word: string, ctx: PolicyContext): boolean {
  const p = absolute(word, ctx);
  if (p === null || p.startsWith(`${ctx.workspace}/`)) return false;
  if (under(p, '/dev')) return !HARMLESS_DEVICES.test(p);
  if (under(p, '/var')) return !(under(p, '/var/tmp') || under(p, '/var/folders'));
  if ([...SYSTEM_TREES, ...SYSTEM_TREES_2].some((d) => under(p, d))) return true;
  if (p.startsWith(`${ctx.home}/`)) return HOME_DOTFILES.test(p.slice(ctx.home.length + 1));
  return false;
}

/** The words after the command name that are not options (up to `--`, after which all are operands). */
function operands(words: readonly string[]): string[] {
  const out: string[] = [];
  let options = true;
  for (const w of words.slice(1)) {
    if (options && w === '--') options = false;
    else if (!(options && w.startsWith('-') && w !== '-')) out.push(w);
  }
  return out;
}

const hasShortFlag = (words: readonly string[], letters: RegExp) =>
  words.slice(1).some((w) => /^-[A-Za-z]+$/.test(w) && letters.test(w.slice(1)));

/** Targets of output redirections in a part (`> file`, `>> file`, `>| file`). */
function redirectTargets(raw: string): string[] {
  const out: string[] = [];
  for (const m of raw.matchAll(/(?:^|[^<>])\d*>>?\|?\s*([^\s<>]+)/g)) if (m[1]) out.push(m[1]);
  return out;
}

/** The subcommand of `git [global options] <sub> …` and the words after it. */
function gitSubcommand(part: Part): { sub: string; args: string[] } | null {
  if (part.words[0] !== 'git') return null;
  const w = part.words;
  let i = 1;
  while (i < w.length && w[i]!.startsWith('-'))
    i += /^-[Cc]$|^--(git-dir|work-tree|namespace|exec-path)$/.test(w[i]!) ? 2 : 1;
  return i < w.length ? { sub: w[i]!, args: w.slice(i + 1) } : null;
}

// ---------------------------------------------------------------------------------------------------------------
// The default rules

const MILESTONES =
  'The orchestrator commits milestones to the goal branch and pushes it to the remote of the goal spec (git.remote); commit locally and carry on.';

function isForcePush(args: readonly string[]): boolean {
  return args.some(
    (a) =>
      /^--(force|force-with-lease|force-if-includes|mirror|delete|prune)(=|$)/.test(a) ||
      (/^-[A-Za-z]+$/.test(a) && /[fd]/.test(a.slice(1))) ||
      (/^[+:]/.test(a) && a.length > 1),
  );
}

export const DEFAULT_RULES: readonly Rule[] = [
  {
    id: 'git-force-push',
    test: (p) => {
      const g = gitSubcommand(p);
      return g?.sub === 'push' && isForcePush(g.args);
    },
    why: 'a force-push (or a push that deletes or mirrors refs) rewrites history that others may rely on',
    instead: `Never rewrite a remote's history. ${MILESTONES}`,
  },
  {
    id: 'git-push',
    test: (p) => gitSubcommand(p)?.sub === 'push',
    why: "pushing is visible to others and is the orchestrator's job, not the agent's",
    instead: MILESTONES,
  },
  {
    id: 'git-global-config',
    test: (p) => {
      const g = gitSubcommand(p);
      if (g?.sub !== 'config' || !g.args.some((a) => a === '--global' || a === '--system')) return false;
      return !g.args.some((a) => /^(--get|--get-all|--get-regexp|--list|-l|--show-origin)$/.test(a));
    },
    why: "git config --global/--system changes the user's git settings for every repository",
    instead: 'Use `git -c key=value <command>` for one command, or `git config key value` (this repository only).',
  },
  {
    id: 'rm-root',
    test: (p, ctx) =>
      p.words[0] === 'rm' &&
      (p.words.includes('--no-preserve-root') ||
        ((hasShortFlag(p.words, /[rR]/) || p.words.includes('--recursive')) &&
          operands(p.words).some((t) => isDestructiveTarget(t, ctx)))),
    why: "it would recursively delete the system's, the user's home, the workspace's (or its .git) files",
    instead:
      'Delete only what you created, inside the workspace and by its relative path (e.g. `rm -rf ./build`); git restores tracked files (`git checkout -- <path>`).',
  },
  {
    id: 'root-access',
    test: (p) => p.root,
    why: 'commands run as the user; gaining root (sudo, doas, su, pkexec) is refused',
    instead:
      'Work without root: install tools locally (npm, pip --user, a virtualenv), or call `blocked` and say what the user must install.',
  },
  {
    id: 'system-write',
    test: (p, ctx) => {
      if (redirectTargets(p.raw).some((t) => isProtectedWrite(t, ctx))) return true;
      const cmd = p.words[0] ?? '';
      if (cmd === 'tee') return operands(p.words).some((t) => isProtectedWrite(t, ctx));
      if (/^(cp|mv|install|ln|rsync|chmod|chown|chgrp|truncate|touch|mkdir|rmdir|rm|unlink|shred)$/.test(cmd)) {
        const target = p.words.find((w) => /^--target-directory=/.test(w))?.split('=')[1];
        const t = p.words.indexOf('-t');
        const dests = [
          ...(target ? [target] : []),
          ...(t > 0 && p.words[t + 1] ? [p.words[t + 1]!] : []),
          ...(/^(cp|mv|install|ln|rsync)$/.test(cmd) ? operands(p.words).slice(-1) : operands(p.words)),
        ];
        return dests.some((d) => isProtectedWrite(d, ctx));
      }
      if (cmd === 'sed' && hasShortFlag(p.words, /i/)) return operands(p.words).some((t) => isProtectedWrite(t, ctx));
      return false;
    },
    why: "it writes into a system location or the user's shell start-up files or credentials, outside the workspace",
    instead:
      'Write only inside the workspace (or a temporary folder such as /tmp); configure tools per project (e.g. an .npmrc in the workspace).',
  },
  {
    id: 'chmod-root',
    test: (p, ctx) =>
      /^(chmod|chown|chgrp)$/.test(p.words[0] ?? '') &&
      (hasShortFlag(p.words, /R/) || p.words.includes('--recursive')) &&
      operands(p.words).some((t) => isDestructiveTarget(t, ctx)),
    why: "it would change the owner or mode of every file of the system, the user's home or the workspace",
    instead: 'Change modes of single files you created (e.g. `chmod +x scripts/run.sh`).',
  },
  {
    id: 'disk-format',
    test: (p) =>
      /^(mkfs(\.\w+)?|mke2fs|mkswap|wipefs|fdisk|sfdisk|parted|blkdiscard)$/.test(p.words[0] ?? '') ||
      (p.words[0] === 'dd' && p.words.some((w) => /^of=\/dev\//.test(w) && !HARMLESS_DEVICES.test(w.slice(3)))),
    why: 'it formats, partitions or overwrites a disk device',
    instead: 'Work with files in the workspace; a disk image belongs in a file (e.g. `dd of=./disk.img`).',
  },
  {
    id: 'shutdown',
    test: (p) =>
      /^(shutdown|reboot|halt|poweroff|telinit|killall5)$/.test(p.words[0] ?? '') ||
      /^init [06]$/.test(p.core) ||
      /^systemctl (poweroff|reboot|halt|suspend|hibernate|kexec|emergency|rescue)\b/.test(p.core) ||
      (p.words[0] === 'kill' && p.words.slice(2).includes('-1')) || // `kill -9 -1`, not `kill -1 <pid>` (SIGHUP)
      (/^(pkill|killall)$/.test(p.words[0] ?? '') && operands(p.words).some((w) => /^(node|temporal)$/.test(w))),
    why: 'it would shut the machine down, or kill every process of the user (the Longhaul worker included)',
    instead:
      'Stop only the processes you started, by their pid (`kill <pid>`); the shell tool kills its own on timeout.',
  },
];

/** Rules about the whole command line, which splitting into parts would hide. */
const LINE_RULES: readonly { id: string; test: (line: string) => boolean; why: string; instead: string }[] = [
  {
    id: 'pipe-to-shell',
    test: (line) =>
      // A shell reading the download as its script (`| sh`, `| bash -s -- x`, not `| bash -c '…'`), or an
      // interpreter reading its program from stdin (`| python3`, `| node -`, not `| python3 -m json.tool`).
      /\b(curl|wget|fetch)\b[^;&|]*\|\s*(sudo\s+)?(env\s+)?(\S*\/)?((ba|z|da|k|fi)?sh\b(?!\s+(-\w+\s+)*-c\b)|(python[0-9.]*|perl|ruby|node)(\s+-)?\s*$)/.test(
        line,
      ) || /(^|\s)((ba|z|da|k)?sh|source|\.|eval)\s+(-\S+\s+)*["']?(<\(|\$\()\s*(curl|wget)\b/.test(line),
    why: 'it runs a script straight from the network, unseen',
    instead: 'Download the script to a file in the workspace, read it, then run it; or use the package manager.',
  },
  {
    id: 'fork-bomb',
    // Bounded name length and a cheap pre-check: an unbounded name made this rule quadratic on long lines.
    test: (line) => {
      const compact = line.replace(/\s+/g, '');
      return compact.includes('(){') && /([A-Za-z_:][\w:]{0,63})\(\)\{\1\|\1&\};\1/.test(compact);
    },
    why: 'it is a fork bomb: it starts processes until the machine stops responding',
    instead: 'Start a bounded number of processes.',
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Checking

/** A compiled policy: the default rules, the spec's deny patterns and its allow patterns. */
export interface CommandPolicy {
  /** The first rule the command breaks, or null when it may run. */
  check(command: string, ctx: PolicyContext): CommandRefusal | null;
}

/** Thrown by compilePolicy for a pattern that is not a regular expression (the spec validates them first). */
export class InvalidPolicyPatternError extends Error {
  override readonly name = 'InvalidPolicyPatternError';
}

function compilePatterns(patterns: readonly string[] | undefined): RegExp[] {
  return (patterns ?? []).map((p) => {
    try {
      return new RegExp(p);
    } catch (err) {
      throw new InvalidPolicyPatternError(`not a regular expression: ${p} (${String(err)})`);
    }
  });
}

export function compilePolicy(spec: CommandPolicySpec = {}): CommandPolicy {
  const deny = compilePatterns(spec.deny);
  const allow = compilePatterns(spec.allow);
  const allowed = (text: string) => allow.some((re) => re.test(text));
  return {
    check(command, ctx) {
      const line = command.replace(/\s+/g, ' ').trim();
      const parts = commandParts(command);
      // Pipelines: the line split at `;`, `&&`, `||`, `&` and newlines, but not at `|` (pipe-to-shell spans it).
      const pipelines = command
        .split(/&&|\|\||;|\n|(?<![>|])&(?![>&])/)
        .map((s) => s.replace(/\s+/g, ' ').trim())
        .filter((s) => s !== '');
      for (const re of deny) {
        const hit = [line, ...parts.map((p) => p.raw)].find((t) => re.test(t));
        if (hit !== undefined) {
          return {
            rule: 'spec-deny',
            segment: hit,
            why: `the goal spec denies commands matching /${re.source}/`,
            instead: 'Reach the same end another way, or call `blocked` if the user must do this step.',
          };
        }
      }
      for (const text of [line, ...pipelines]) {
        if (allowed(text)) continue;
        const r = LINE_RULES.find((rule) => rule.test(text));
        if (r) return { rule: r.id, segment: text, why: r.why, instead: r.instead };
      }
      for (const part of parts) {
        if (allowed(part.raw) || allowed(part.core)) continue;
        const rule = DEFAULT_RULES.find((r) => r.test(part, ctx));
        if (rule) return { rule: rule.id, segment: part.raw, why: rule.why, instead: rule.instead };
      }
      return null;
    },
  };
}

/** The message the model gets for a refused command. */
export function refusalMessage(r: CommandRefusal): string {
  return (
    `Refused by the command policy (rule ${r.rule}): \`${r.segment.slice(0, 300)}\` — ${r.why}. ` +
    `Nothing was run. Instead: ${r.instead} ` +
    `(If this step is truly needed, only the user can allow it, in the goal spec: commands.allow.)`
  );
}
