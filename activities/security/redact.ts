/**
 * Redaction of command and tool output before it reaches the model, the goal store, Slack or workflow history:
 * the values of the worker's secrets (its model, Slack, Temporal and encryption keys, and every credential-named
 * variable of its environment, see command-env.ts) and well-known secret shapes (OpenAI, Slack, GitHub and AWS
 * keys, private key blocks, bearer tokens, passwords in URLs) become `[redacted]`. One precompiled regular
 * expression per set of secret values, so a multi-megabyte output costs one linear pass.
 */
import { isCredentialName } from './command-env';

/** Replaces secrets in a text with `[redacted]`. */
export type Redact = (text: string) => string;

export const REDACTED = '[redacted]';

/** Values shorter than this are not redacted: they would hide ordinary words and numbers. */
const MIN_SECRET_CHARS = 8;

/**
 * Names whose value is itself a secret (as opposed to AWS_REGION or AZURE_LOCATION, which are kept from commands
 * because of their prefix but whose values are ordinary words).
 */
const SECRET_VALUED =
  /(^|_)(TOKEN|TOKENS|SECRET|SECRETS|PASSWORD|PASSWD|PASS|PASSPHRASE|CREDENTIALS?|AUTH|DSN|DATABASE_URL)(_|$)|(^|_)(API_?KEY|ACCESS_KEY|ACCESS_KEY_ID|SECRET_KEY|PRIVATE_KEY|KEY|KEYS|KEY_DATA)$|^(PGPASSWORD|MYSQL_PWD|SSH_AUTH_SOCK|LONGHAUL_STORE_URL)$/i;

/**
 * Well-known secret shapes. Each is specific enough not to hit ordinary code: `sk-` keys need 20+ key characters
 * with a digit and a word boundary before (so `task-…`, `disk-…`, `sketch-…` never match), GitHub and Slack
 * tokens their fixed prefixes, AWS key ids their fixed length. Group 1 is a prefix that is kept (e.g. `Bearer `).
 */
const PATTERNS = [
  '\\bsk-(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{20,}', // OpenAI (sk-…, sk-proj-…), Anthropic (sk-ant-…)
  '\\bxox[abprs]-[A-Za-z0-9-]{10,}', // Slack bot / user / refresh tokens
  '\\bxapp-[0-9]-[A-Za-z0-9-]{10,}', // Slack app-level tokens
  '\\bgh[pousr]_[A-Za-z0-9]{20,}', // GitHub classic, OAuth, user-to-server, server-to-server, refresh tokens
  '\\bgithub_pat_[A-Za-z0-9_]{20,}', // GitHub fine-grained tokens
  '\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b', // AWS access key ids
  // A private key block, also one cut off by truncation (then to the end of the text).
  '-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\\s\\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)',
];
/** Shapes whose prefix stays readable: `Bearer <token>`, `Basic <credentials>`, `scheme://user:<password>@`. */
const PREFIXED = [
  '(\\bBearer\\s+)[A-Za-z0-9._~+/=-]{8,}',
  '(\\bBasic\\s+)[A-Za-z0-9+/=]{12,}',
  '(://[^/\\s:@]{1,256}:)[^/\\s@]{1,256}(?=@)',
];

/**
 * The secret values a variable of the worker's environment holds: the whole value, each key of a key list
 * (`id:key,id:key`, as LONGHAUL_ENCRYPTION_KEYS), and the password of a URL (DATABASE_URL, LONGHAUL_STORE_URL), as
 * written and percent-decoded, also from a `password=` parameter.
 */
function valuesOf(value: string): string[] {
  const out = [value];
  if (/^[\w.:/+=-]+(,[\w.:/+=-]+)+$|^[\w.-]+:[\w/+=-]+$/.test(value) && !value.includes('://')) {
    for (const part of value.split(',')) {
      out.push(part);
      const colon = part.indexOf(':');
      if (colon > 0) out.push(part.slice(colon + 1));
    }
  }
  for (const password of [
    /:\/\/[^/\s:@]+:([^/\s@]+)@/.exec(value)?.[1],
    /:\/\/[^?\s]*\?(?:[^#\s]*&)?password=([^&#\s]+)/.exec(value)?.[1],
  ]) {
    if (password === undefined) continue;
    out.push(password);
    try {
      out.push(decodeURIComponent(password));
    } catch {
      // A malformed escape: the password as written is all there is.
    }
  }
  return out;
}

/** The secrets of an environment: the values of the worker's own keys and of every credential-named variable. */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.length < MIN_SECRET_CHARS) continue;
    if (!SECRET_VALUED.test(name) || !isCredentialName(name)) continue;
    values.push(...valuesOf(value));
  }
  return values;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(values: readonly string[]): RegExp {
  const known = [...new Set(values.filter((v) => v.length >= MIN_SECRET_CHARS))]
    .sort((a, b) => b.length - a.length) // the longest first: a key list before the keys in it
    .map(escapeRegExp);
  return new RegExp([...PREFIXED, ...known, ...PATTERNS].join('|'), 'g');
}

function apply(re: RegExp, text: string): string {
  return text.replace(re, (...m: unknown[]) => {
    const prefix = m.slice(1, 1 + PREFIXED.length).find((g): g is string => typeof g === 'string');
    return prefix === undefined ? REDACTED : `${prefix}${REDACTED}`;
  });
}

/**
 * A redactor for `values` (the worker's keys as its dependencies hold them) and the secrets of `env()`, read at
 * each call (cheaply: the regular expression is recompiled only when the set of secrets changed).
 */
export function createRedactor(
  values: readonly (string | null | undefined)[] = [],
  env: () => NodeJS.ProcessEnv = () => process.env,
): Redact {
  const fixed = values.filter((v): v is string => typeof v === 'string');
  let key: string | undefined;
  let re: RegExp | undefined;
  return (text) => {
    if (text === '') return text;
    const all = [...fixed, ...secretValues(env())];
    const k = all.join('\0');
    if (re === undefined || k !== key) {
      key = k;
      re = compile(all);
    }
    return apply(re, text);
  };
}

/** The redactor of the worker's environment alone (callers that have no injected one). */
export const redactEnvSecrets: Redact = createRedactor();
