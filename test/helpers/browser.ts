import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DemoLLM } from '../../src/demo/index.js';
import { type RunningDemo, startDemo } from '../../src/demo/start.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Debian's Chromium, headless, with the flags this machine's closed network needs. Playwright gives
 * each launch a fresh, empty profile of its own.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}. Install Debian's: apt-get install -y chromium (or set CHROMIUM_PATH).`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
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

/** Where the browser tests leave screenshots and traces. */
export const TEST_OUTPUT = new URL('../../test-output/', import.meta.url).pathname;

export interface DemoInChromium {
  demo: RunningDemo;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/**
 * The demo server (DemoLLM, 25 ms a token) and its page open in Chromium, connected. `beforeLoad`
 * sees the demo before the page opens its socket.
 */
export async function openDemoInChromium(
  height: number,
  beforeLoad?: (demo: RunningDemo) => void,
): Promise<DemoInChromium> {
  mkdirSync(TEST_OUTPUT, { recursive: true });
  const demo = await startDemo({
    port: 0,
    host: '127.0.0.1',
    createLLM: () => new DemoLLM({ tokenDelayMs: 25 }),
  });
  beforeLoad?.(demo);
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 900, height } });
  await page.goto(demo.pageUrl);
  await page.locator('[data-testid=status][data-status=open]').waitFor();
  return {
    demo,
    browser,
    page,
    close: async () => {
      await browser.close();
      await demo.close();
    },
  };
}
