/**
 * Browser tests run in a real Chromium found the way users have it (src/io/browser.ts). Without
 * one they are reported as skipped, with the reason and the install command, unless
 * TACK_REQUIRE_BROWSER=1 (set by .ci/run), under which a missing browser fails the test.
 */
import type { TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { BROWSER_INSTALL_HINT, findBrowser, HEADLESS_BROWSER_ARGS } from '../../src/io/index.js';

/** The skip message every browser test uses; the test runner's summary groups skips by it. */
export function browserSkipReason(reason: string): string {
  return `browser test skipped: ${reason}. ${BROWSER_INSTALL_HINT}`;
}

/**
 * A launched headless browser, or undefined after marking the test skipped. The caller closes it.
 * Under TACK_REQUIRE_BROWSER=1 a missing browser throws instead.
 */
export async function launchBrowserOrSkip(t: TestContext): Promise<Browser | undefined> {
  const lookup = findBrowser();
  if (lookup.kind === 'missing') {
    if (process.env.TACK_REQUIRE_BROWSER === '1') throw new Error(`TACK_REQUIRE_BROWSER=1 but ${lookup.reason}. ${BROWSER_INSTALL_HINT}`);
    t.skip(browserSkipReason(lookup.reason));
    return undefined;
  }
  return chromium.launch({ executablePath: lookup.browser.executablePath, headless: true, args: [...HEADLESS_BROWSER_ARGS] });
}
