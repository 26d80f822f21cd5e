/** Debian's Chromium for the browser tests and benchmarks: where it is, and how to launch it headless here. */
import { spawnSync } from 'node:child_process';
import type { Browser } from 'playwright-core';

/** The Chromium binary (Debian's `chromium`), or null when there is none; CHROMIUM_PATH wins. */
export function findChromium(): string | null {
  for (const c of [process.env.CHROMIUM_PATH, 'chromium', 'chromium-headless-shell', 'chromium-browser']) {
    if (!c) continue;
    const found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', c], { encoding: 'utf8' }).stdout.trim();
    if (found) return found;
  }
  return null;
}

/** CI sets LONGHAUL_REQUIRE_CHROMIUM=1: there a missing Chromium fails the browser tests instead of skipping them. */
export const REQUIRE_CHROMIUM = process.env.LONGHAUL_REQUIRE_CHROMIUM === '1';

/**
 * Launches it headless through playwright-core. Without the background-networking flags it keeps trying to reach
 * Google's hosts, which this closed network refuses; as root it has no user-namespace sandbox.
 */
export async function launchChromium(executablePath: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
