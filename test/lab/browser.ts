/** The headless Chromium the dashboard tests drive (`.ci/run` installs it at /usr/bin/chromium). */
import { chromium, type Browser } from 'playwright-core';

/**
 * Playwright gives every launch a fresh temporary profile (user-data dir) and removes it on close; the flags
 * keep Chromium from reaching out on its own (updates, sync, QUIC probes), so the only traffic is the test's.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
