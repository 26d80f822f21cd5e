/** Exit codes of the `longhaul` CLI (documented in the README). */
export const EXIT = {
  /** Success; with `start --wait`, the goal was achieved. */
  ok: 0,
  /** An unexpected error. */
  error: 1,
  /** Bad input: an invalid spec, flag or configuration; nothing was started. */
  usage: 2,
  /** `start --wait`: the goal ended without being achieved. */
  notAchieved: 3,
  /** The Temporal server could not be reached. */
  unreachable: 4,
  /** No goal with that id. */
  notFound: 5,
  /** The goal has already ended, so it cannot be edited, guided, paused, resumed or asked. */
  ended: 6,
} as const;
