/**
 * Spec fields for tests that count the model's requests or turns exactly: they leave out the finishing review and
 * clean-up (on by default), whose extra requests are not theirs to count. test/finalize.test.ts covers finishing.
 */
export const NO_FINISHING = { finalize: { reflect: false, cleanupTurns: 0 } } as const;
