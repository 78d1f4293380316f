import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoLLM } from '../../src/demo/index.js';
import { type RunningDemo, startDemo } from '../../src/demo/start.js';
import { AI_SDK_SKIP_REASON, aiSdkUnsupported } from '../helpers/ai-sdk.js';
import { launchChromium } from '../helpers/browser.js';

const OUTPUT = new URL('../../test-output/', import.meta.url).pathname;

let browser: Browser;
let demo: RunningDemo;
let page: Page;

const replies = () => page.getByTestId('reply');
const lastReply = () => replies().last();
const status = () => page.getByTestId('status').getAttribute('data-status');

async function send(text: string) {
  await page.getByLabel('Message').fill(text);
  await page.getByLabel('Message').press('Enter');
}

/** The latest reply's text on every animation frame until it stops streaming. */
function sampleTextPerFrame(): Promise<number[]> {
  return page.evaluate(
    () =>
      new Promise<number[]>((resolve) => {
        const lengths: number[] = [];
        let seenStreaming = false;
        const sample = () => {
          const all = document.querySelectorAll('[data-testid="reply"]');
          const reply = all[all.length - 1] as HTMLElement | undefined;
          if (reply) {
            const text = [...reply.querySelectorAll('[data-testid="text-part"]')]
              .map((e) => e.textContent)
              .join('');
            lengths.push(text.length);
            if (reply.dataset.status === 'streaming') seenStreaming = true;
            else if (seenStreaming) return resolve(lengths);
          }
          requestAnimationFrame(sample);
        };
        requestAnimationFrame(sample);
      }),
  );
}

const replyText = async () => (await lastReply().getByTestId('text-part').allInnerTexts()).join('');

describe.skipIf(aiSdkUnsupported)(
  `the /ai-sdk demo page in Chromium (${aiSdkUnsupported ? AI_SDK_SKIP_REASON : 'useChat over WebSocketChatTransport'})`,
  () => {
    beforeAll(async () => {
      mkdirSync(OUTPUT, { recursive: true });
      demo = await startDemo({
        port: 0,
        host: '127.0.0.1',
        createLLM: () => new DemoLLM({ tokenDelayMs: 25 }),
      });
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 900, height: 800 } });
    });

    afterAll(async () => {
      await browser?.close();
      await demo?.close();
    });

    it('is linked from the main page', async () => {
      await page.goto(demo.pageUrl);
      await page.getByRole('link', { name: /useChat/ }).click();
      await page.waitForURL(/\/ai-sdk$/);
      await expect.poll(status).toBe('ready');
    });

    it('streams the reply into message.parts, frame by frame', async () => {
      const sampling = sampleTextPerFrame();
      await send('hello there');
      const lengths = await sampling;
      expect(new Set(lengths.filter((n) => n > 0)).size).toBeGreaterThan(10);
      await expect.poll(status).toBe('ready');
      expect(await replyText()).toContain('You said: "hello there".');
      expect(await lastReply().getByTestId('cursor').count()).toBe(0);
    });

    it('shows the tool step live, between the text before and after it', async () => {
      await send('What is the weather in Paris?');
      // Live: the tool's output is on the page while the reply is still streaming.
      await lastReply().locator('[data-testid="tool-step"][data-state="output-available"]').waitFor();
      expect(await lastReply().getAttribute('data-status')).toBe('streaming');
      await expect.poll(status, { timeout: 20_000 }).toBe('ready');
      // In the agent's order: text, the tool step, text.
      const order = await lastReply()
        .locator('[data-testid="text-part"], [data-testid="tool-step"]')
        .evaluateAll((nodes) => nodes.map((n) => (n as HTMLElement).dataset.testid));
      expect(order).toEqual(['text-part', 'tool-step', 'text-part']);
      const texts = await lastReply().getByTestId('text-part').allInnerTexts();
      expect(texts[0]).toContain('Let me look up the weather in Paris for you.');
      expect(texts.at(-1)).toContain('Here is what I found:');
      const step = await lastReply().getByTestId('tool-step').innerText();
      expect(step).toContain('lookupWeather({"city":"Paris"})');
      expect(step).toMatch(/°C in Paris/);
      await page.screenshot({ path: `${OUTPUT}ai-sdk-demo.png` });
    });

    it('stop ends the reply where it was', async () => {
      await send('please stop me');
      await expect.poll(async () => (await replyText()).length).toBeGreaterThan(40);
      await page.getByRole('button', { name: 'Stop' }).click();
      await expect.poll(status).toBe('ready');
      const stopped = await replyText();
      expect(stopped).not.toContain('Ask me about the weather');
      // The agent is free again: the next message is answered in full.
      await send('hello again');
      await expect.poll(status).toBe('streaming');
      await expect.poll(status, { timeout: 20_000 }).toBe('ready');
      expect(await replyText()).toContain('Ask me about the weather in Paris');
    });

    it('reloading the page mid-reply resumes it: the whole reply, once', async () => {
      await send('resume me');
      await expect.poll(async () => (await replyText()).length).toBeGreaterThan(30);
      await page.reload();
      await expect.poll(async () => (await replyText()).length).toBeGreaterThan(0);
      await expect.poll(status, { timeout: 20_000 }).toBe('ready');
      const text = await replyText();
      expect(text.startsWith('You said: "resume me".')).toBe(true);
      expect(text).toContain('Ask me about the weather in Paris to see a tool call in the middle of a turn.');
      expect(text.split('You said').length).toBe(2);
      // The finished messages before it came back from the tab's storage; the reply came from the server.
      const users = await page.locator('.bubble.user').allInnerTexts();
      expect(users.at(-1)).toBe('resume me');
      expect(await replies().count()).toBe(users.length);
    });
  },
);
