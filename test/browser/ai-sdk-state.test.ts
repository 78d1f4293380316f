import type { Duplex } from 'node:stream';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoLLM } from '../../src/demo/index.js';
import { type RunningDemo, startDemo } from '../../src/demo/start.js';
import { AI_SDK_SKIP_REASON, aiSdkUnsupported } from '../helpers/ai-sdk.js';
import { launchChromium, TEST_OUTPUT } from '../helpers/browser.js';

let browser: Browser;
let demo: RunningDemo;
let page: Page;
let port: number;
/** The server side of every /api/chat/ws socket the page opened, newest last. */
const sockets: Duplex[] = [];
const consoleErrors: string[] = [];

async function start(at: number) {
  demo = await startDemo({ port: at, host: '127.0.0.1', createLLM: () => new DemoLLM({ tokenDelayMs: 25 }) });
  demo.server.httpServer.on('upgrade', (request, socket: Duplex) => {
    if (request.url?.startsWith('/api/chat/ws')) sockets.push(socket);
  });
  port = Number(new URL(demo.pageUrl).port);
}

const status = () => page.getByTestId('status').getAttribute('data-status');
const lastReply = () => page.getByTestId('reply').last();
const replyText = async () => (await lastReply().getByTestId('text-part').allInnerTexts()).join('');
async function send(text: string) {
  await page.getByLabel('Message').fill(text);
  await page.getByLabel('Message').press('Enter');
}

describe.skipIf(aiSdkUnsupported)(
  `the /ai-sdk page shows what happens (${aiSdkUnsupported ? AI_SDK_SKIP_REASON : 'Chromium'})`,
  () => {
    beforeAll(async () => {
      await start(0);
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 900, height: 800 } });
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('pageerror', (error) => consoleErrors.push(String(error)));
      await page.goto(`${demo.pageUrl}ai-sdk`);
      await page.locator('[data-testid=status][data-status=ready]').waitFor();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await demo?.close();
    });

    it('links to the main page, and the main page links back, in view', async () => {
      const back = page.getByRole('link', { name: /useStreamingAgent/ });
      expect(await back.isVisible()).toBe(true);
      await back.click();
      await page.waitForURL(demo.pageUrl);
      const there = page.getByRole('link', { name: /useChat/ });
      expect(await there.isVisible()).toBe(true);
      const box = (await there.boundingBox())!;
      expect(box.y + box.height).toBeLessThan(800); // above the fold
      // The page does not jump as it loads (it did: a link below the app moved down by a screen).
      const shift = await page.evaluate(
        () =>
          new Promise<number>((resolve) => {
            let total = 0;
            new PerformanceObserver((list) => {
              for (const entry of list.getEntries()) total += (entry as unknown as { value: number }).value;
            }).observe({ type: 'layout-shift', buffered: true });
            setTimeout(() => resolve(total), 200);
          }),
      );
      expect(shift).toBeLessThan(0.1);
      await there.click();
      await page.waitForURL(/\/ai-sdk$/);
      await expect.poll(status).toBe('ready');
    });

    it('stop during text: the reply says stopped, not finished', async () => {
      await send('please stop me');
      await expect.poll(async () => (await replyText()).length).toBeGreaterThan(40);
      await page.getByRole('button', { name: 'Stop' }).click();
      await expect.poll(status).toBe('ready');
      expect(await lastReply().getAttribute('data-status')).toBe('interrupted');
      expect(await lastReply().innerText()).toContain('stopped');
    });

    it('a running tool shows a spinner; stopped during it, the step says it has no output', async () => {
      await send('What is the weather in Paris?');
      await lastReply().getByTestId('tool-running').waitFor({ timeout: 20_000 });
      await page.getByRole('button', { name: 'Stop' }).click();
      await expect.poll(status).toBe('ready');
      const step = lastReply().getByTestId('tool-step');
      expect(await step.getAttribute('data-shown')).toBe('stopped');
      expect(await step.innerText()).toContain('no output: the reply was stopped');
      expect(await lastReply().getAttribute('data-status')).toBe('interrupted');
    });

    it('the connection drops mid-reply: a reconnecting banner, then the reply completes, once', async () => {
      await send('cut me off');
      await expect.poll(async () => (await replyText()).length).toBeGreaterThan(30);
      sockets.at(-1)!.destroy();
      await page.getByTestId('banner').filter({ hasText: 'Reconnecting' }).waitFor({ timeout: 10_000 });
      // (Not the status alone: it reads `ready` for a moment between the error and the resume.)
      await expect
        .poll(replyText, { timeout: 30_000 })
        .toContain('Ask me about the weather in Paris to see a tool call in the middle of a turn.');
      await expect.poll(status, { timeout: 30_000 }).toBe('ready');
      const text = await replyText();
      expect(text.split('You said').length).toBe(2);
      expect(await page.getByTestId('banner').count()).toBe(0);
    }, 60_000);

    it('a send while the server is down fails with Retry; Retry once it is back gets the answer', async () => {
      await demo.close();
      await send('are you there?');
      const failed = page.getByTestId('send-failed');
      await failed.waitFor({ timeout: 20_000 });
      expect(await failed.innerText()).toMatch(/Not sent: the agent could not be reached/);
      await page.screenshot({ path: `${TEST_OUTPUT}ai-sdk-send-failed.png` });
      await start(port);
      await failed.getByRole('button', { name: 'Retry' }).click();
      await expect.poll(status, { timeout: 20_000 }).toBe('ready');
      expect(await replyText()).toContain('You said: "are you there?".');
      // Once: the failed attempt's message was replaced by the retry, not kept beside it.
      expect(await page.locator('.bubble.user').filter({ hasText: 'are you there?' }).count()).toBe(1);
      expect(await page.getByTestId('send-failed').count()).toBe(0);
    }, 60_000);

    it('no console errors on the way (no Content-Security-Policy error)', () => {
      // The browser reports a refused socket while the server was down; that one is expected.
      expect(consoleErrors.filter((e) => !/WebSocket connection to .* failed/.test(e))).toEqual([]);
    });
  },
);
