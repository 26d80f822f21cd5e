/**
 * Which GitHub repository a goal's pull request goes to: `git.repo` (`owner/name`) when the spec gives it, else read
 * from the push remote's URL (github.com or a GitHub Enterprise host, over HTTPS or SSH). Pure: the spec validates
 * with it, and the pull-request activity reads a remote name's URL from git and parses it here.
 */

/** A GitHub repository. */
export interface RepoSlug {
  readonly owner: string;
  readonly repo: string;
}

/** GitHub's rules for an owner (user or organisation) and for a repository name. */
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** `owner/name` as a slug, or null when it is not one. */
export function parseRepoSlug(text: string): RepoSlug | null {
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(text.trim());
  if (!m) return null;
  const owner = m[1]!;
  const repo = m[2]!.replace(/\.git$/, '');
  if (!OWNER.test(owner) || !NAME.test(repo) || repo === '.' || repo === '..') return null;
  return { owner, repo };
}

/**
 * The repository a remote URL names: `https://host/owner/name(.git)`, `ssh://git@host/owner/name.git`,
 * `git@host:owner/name.git`; null for anything else (a local path, a URL with a deeper path).
 */
export function repoFromRemoteUrl(url: string): RepoSlug | null {
  const text = url.trim();
  const scp = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!\/)(.+)$/.exec(text); // git@github.com:owner/name.git
  if (scp) return parseRepoSlug(scp[1]!.replace(/\/+$/, ''));
  const m = /^(?:https?|ssh|git):\/\/[^/]+\/(.+)$/i.exec(text);
  if (!m) return null;
  return parseRepoSlug(m[1]!.replace(/\/+$/, ''));
}

/** Whether a remote is written as a URL (or scp-like `user@host:path`) rather than as a remote name or a path. */
export function isRemoteUrl(remote: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(remote) || /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:/.test(remote);
}

/** Whether a remote is a path of a repository on this machine (then no GitHub repository can be read from it). */
export function isLocalPath(remote: string): boolean {
  return remote.startsWith('/') || remote.startsWith('.') || remote.startsWith('~') || /^[A-Za-z]:[\\/]/.test(remote);
}
