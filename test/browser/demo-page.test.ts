import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDemo } from '../../src/demo/start.js';
import { type DemoInChromium, openDemoInChromium, TEST_OUTPUT } from '../helpers/browser.js';

let demo: RunningDemo;
let page: Page;

let opened: DemoInChromium | undefined;

beforeAll(async () => {
  opened = await openDemoInChromium(800);
  ({ demo, page } = opened);
});

afterAll(async () => {
  await opened?.close();
});

/** Records the latest reply's text length on every animation frame until the turn ends. */
function sampleReplyPerFrame(): Promise<{ lengths: number[]; sawCursor: boolean }> {
  return page.evaluate(
    () =>
      new Promise<{ lengths: number[]; sawCursor: boolean }>((resolve) => {
        const lengths: number[] = [];
        let sawCursor = false;
        const sample = () => {
          const replies = document.querySelectorAll('[data-testid="reply"]');
          const reply = replies[replies.length - 1] as HTMLElement | undefined;
          if (reply) {
            lengths.push(reply.innerText.length);
            if (reply.querySelector('[data-testid="cursor"]')) sawCursor = true;
            if (reply.dataset.status !== 'streaming') return resolve({ lengths, sawCursor });
          }
          requestAnimationFrame(sample);
        };
        requestAnimationFrame(sample);
      }),
  );
}

async function send(text: string) {
  await page.getByLabel('Message').fill(text);
  await page.getByLabel('Message').press('Enter');
}

const lastReply = () => page.getByTestId('reply').last();

describe('the demo chat page in Chromium', () => {
  it('shows a reply growing over many animation frames, with a cursor, before it completes', async () => {
    const sampling = sampleReplyPerFrame();
    await send('hello there');
    await expect.poll(async () => (await lastReply().innerText()).length).toBeGreaterThan(60);
    await page.screenshot({ path: `${TEST_OUTPUT}demo-streaming.png` });
    const { lengths, sawCursor } = await sampling;
    const distinct = new Set(lengths.filter((n) => n > 0));
    expect(distinct.size).toBeGreaterThan(10);
    expect(sawCursor).toBe(true);
    await expect.poll(() => lastReply().getAttribute('data-status')).toBe('complete');
    expect(await lastReply().innerText()).toContain('You said: "hello there".');
    expect(await lastReply().locator('[data-testid="cursor"]').count()).toBe(0);
  });

  it('shows both parts of a tool-call reply and the tool step between them', async () => {
    await send('What is the weather in Paris?');
    await expect.poll(() => lastReply().getAttribute('data-status'), { timeout: 20_000 }).toBe('complete');
    const text = await lastReply().innerText();
    expect(text).toContain('Let me look up the weather in Paris for you.');
    expect(text).toContain('Here is what I found:');
    const step = await lastReply().getByTestId('tool-step').innerText();
    expect(step).toContain('lookupWeather({"city":"Paris"})');
    expect(step).toMatch(/°C in Paris/);
    expect(step).not.toContain('running');
    // The tool step sits between the text before the call and the text after it.
    const order = await lastReply().evaluate((el) =>
      [...el.children].map((c) => c.getAttribute('data-testid')),
    );
    expect(order).toEqual(['text-part', 'tool-step', 'text-part']);
    await page.screenshot({ path: `${TEST_OUTPUT}demo.png` });
  });

  it('stops a reply with the Stop button', async () => {
    await send('tell me everything');
    await expect.poll(async () => (await lastReply().innerText()).length).toBeGreaterThan(20);
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => lastReply().getAttribute('data-status')).toBe('interrupted');
    expect(await lastReply().innerText()).not.toContain('tool call in the middle of a turn.');
  });

  it('shows a banner when the connection drops', async () => {
    await demo.close();
    await page.getByTestId('banner').waitFor();
    expect(await page.getByTestId('banner').innerText()).toMatch(/Reconnecting|Disconnected/);
  });
});
