/**
 * Debian's Chromium, driven by playwright-core: never a browser that Playwright downloads
 * (`playwright install` needs hosts this project cannot reach). `npm run setup` installs it with
 * apt; CHROMIUM_PATH points elsewhere on machines without Debian's package.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Flags for a hermetic headless run: no sandbox (tests run as root in CI), and none of
 * Chromium's own background traffic (component updates, sync, field trials, first-run pages),
 * which would otherwise reach for Google's hosts and muddy the network log.
 */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-domain-reliability",
  "--no-first-run",
  "--no-default-browser-check",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Starts Chromium with a fresh profile in a temporary folder; `close()` stops it and removes the profile. */
export async function launchChromium(options: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}. The browser tests need Debian's chromium package: ` +
        "run `npm run setup` (it installs it with apt-get), or `sudo apt-get install -y chromium`, " +
        "or set CHROMIUM_PATH to a Chromium binary.",
    );
  }
  const profile = await mkdtemp(path.join(os.tmpdir(), "acs-connect-chromium-"));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: options.viewport ?? { width: 1400, height: 900 },
      timeout: 30_000,
    });
    return {
      context,
      async close() {
        await context.close().catch(() => {});
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}
