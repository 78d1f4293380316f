import type { Duplex } from 'node:stream';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../../src/demo/start.js';
import { launchChromium, TEST_OUTPUT } from '../helpers/browser.js';
import { ConversationLLM } from '../helpers/conversation-llm.js';

/** The demo with an agent that answers from its chat context: `remember <word>`, then `recall`. */
const startConversationDemo = (port: number) =>
  startDemo({ port, host: '127.0.0.1', createLLM: () => new ConversationLLM() });

let browser: Browser;
let demo: RunningDemo;
let page: Page;
/** The server side of every WebSocket the page opened. */
const sockets: Duplex[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  demo = await startConversationDemo(0);
  demo.server.httpServer.on('upgrade', (_request, socket: Duplex) => sockets.push(socket));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 900, height: 800 } });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  await page.goto(demo.pageUrl);
  await page.locator('[data-testid=status][data-status=open]').waitFor();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

async function send(text: string) {
  await page.getByLabel('Message').fill(text);
  await page.getByLabel('Message').press('Enter');
}
const reply = (index: number) => page.getByTestId('reply').nth(index);
const settled = async (index: number) => {
  await expect
    .poll(() => reply(index).getAttribute('data-status'), { timeout: 30_000 })
    .not.toBe('streaming');
  return reply(index);
};

describe('the demo page (useStreamingAgent) outlives its server', () => {
  it('a 70,000-character message: a clear error on its turn, nothing sent, no reconnect', async () => {
    await send('x'.repeat(70_000));
    const turn = await settled(0);
    expect(await turn.getAttribute('data-status')).toBe('error');
    expect(await turn.innerText()).toMatch(
      /too long for the server: 700\d\d bytes as sent, and it accepts at most 65536/,
    );
    expect(sockets).toHaveLength(1);
    expect(await page.getByTestId('status').getAttribute('data-status')).toBe('open');
    expect(await page.getByTestId('banner').count()).toBe(0);
  }, 60_000);

  it('after a restart of the server, the agent remembers the chat, and the page never says "expired"', async () => {
    await send('remember apple');
    expect(await (await settled(1)).innerText()).toContain('Noted apple.');
    await send('remember pear');
    expect(await (await settled(2)).innerText()).toContain('Noted pear.');

    const port = new URL(demo.pageUrl).port;
    await demo.close();
    await page.locator('[data-testid=status][data-status=reconnecting]').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('banner').innerText()).toContain('Reconnecting');
    demo = await startConversationDemo(Number(port));
    await page.locator('[data-testid=status][data-status=restored]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('notice').innerText()).toMatch(
      /server restarted.*picked the conversation up/i,
    );

    await send('recall');
    expect(await (await settled(3)).innerText()).toContain('You asked me to remember apple pear.');
    await page.screenshot({ path: `${TEST_OUTPUT}demo-restored.png` });
    expect((await page.locator('body').innerText()).toLowerCase()).not.toContain('expired');
    expect(consoleErrors.filter((e) => !/WebSocket connection to .* failed/.test(e))).toEqual([]);
  }, 90_000);
});
