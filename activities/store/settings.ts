/**
 * The PostgreSQL goal store's settings: LONGHAUL_STORE_URL (what counts as one, its password-free form for logs,
 * its password for scrubbing) and LONGHAUL_STORE_SCHEMA. The URL holds a password: it stays in the worker process
 * and is shown only without it.
 */

/** A schema name that needs no quoting rules beyond double quotes (LONGHAUL_STORE_SCHEMA). */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const PROTOCOLS = new Set(['postgres:', 'postgresql:']);

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** Whether `url` is a postgres:// or postgresql:// URL with a host. */
export function isPostgresUrl(url: string): boolean {
  const parsed = parse(url);
  return parsed !== null && PROTOCOLS.has(parsed.protocol) && parsed.host !== '';
}

/** The URL for people: scheme, host, port and database, without user, password or parameters. */
export function displayStoreUrl(url: string): string {
  const parsed = parse(url);
  if (parsed === null) return '(an invalid URL)';
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}

/**
 * The URL's passwords, as written and decoded (percent-encoding undone): the one after the user name, and a
 * `password` parameter (the driver reads both). Empty when it has none.
 */
export function storeUrlPasswords(url: string): string[] {
  const parsed = parse(url);
  if (parsed === null) return [];
  const out = new Set<string>();
  for (const password of [parsed.password, parsed.searchParams.get('password') ?? '']) {
    if (password === '') continue;
    out.add(password);
    try {
      out.add(decodeURIComponent(password));
    } catch {
      // A malformed escape: the password as written is all there is.
    }
  }
  return [...out];
}
