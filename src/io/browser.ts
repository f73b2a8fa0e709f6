/**
 * Finding a Chromium-family browser the way users have one installed: `TACK_CHROMIUM` (a path),
 * then `chromium`, `chromium-browser`, `google-chrome`, `google-chrome-stable` on the PATH.
 * Used by anything that renders a page headless (tests of the HTML report and the studio).
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** Program names looked up on the PATH, in order (Debian, Ubuntu/Fedora, Google's packages). */
export const BROWSER_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'] as const;

/** What to tell a user who has none. */
export const BROWSER_INSTALL_HINT = 'Install Chromium (Debian/Ubuntu: `sudo apt-get install chromium`) or set TACK_CHROMIUM to a Chromium or Chrome executable.';

export interface FoundBrowser {
  readonly executablePath: string;
  /** Where it was found: the TACK_CHROMIUM variable, or the program name found on the PATH. */
  readonly source: 'TACK_CHROMIUM' | (typeof BROWSER_NAMES)[number];
}

export type BrowserLookup = { readonly kind: 'found'; readonly browser: FoundBrowser } | { readonly kind: 'missing'; readonly reason: string };

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Looks the browser up; never throws. A TACK_CHROMIUM that does not point at a program is reported, not skipped over. */
export function findBrowser(env: NodeJS.ProcessEnv = process.env): BrowserLookup {
  const explicit = env.TACK_CHROMIUM?.trim();
  if (explicit) {
    if (isExecutableFile(explicit)) return { kind: 'found', browser: { executablePath: explicit, source: 'TACK_CHROMIUM' } };
    return { kind: 'missing', reason: `TACK_CHROMIUM=${explicit} is not an executable file` };
  }
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const name of BROWSER_NAMES) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (isExecutableFile(candidate)) return { kind: 'found', browser: { executablePath: candidate, source: name } };
    }
  }
  return { kind: 'missing', reason: `no Chromium found (TACK_CHROMIUM is not set and none of ${BROWSER_NAMES.join(', ')} is on the PATH)` };
}

/**
 * Flags for a headless run on machines without a display or network: no sandbox (containers run
 * as root), no GPU, and no background connections to Google's services (on a closed network
 * they fail, many at a time, and slow the start).
 */
export const HEADLESS_BROWSER_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
