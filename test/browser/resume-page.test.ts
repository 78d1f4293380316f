import type { Duplex } from 'node:stream';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoInChromium, openDemoInChromium, TEST_OUTPUT } from '../helpers/browser.js';

let page: Page;
/** The server side of every WebSocket the page opened, newest last: the test cuts them. */
const sockets: Duplex[] = [];

let opened: DemoInChromium | undefined;

beforeAll(async () => {
  opened = await openDemoInChromium(800, (running) =>
    running.server.httpServer.on('upgrade', (_request, socket: Duplex) => sockets.push(socket)),
  );
  ({ page } = opened);
});

afterAll(async () => {
  await opened?.close();
});

async function send(text: string) {
  await page.getByLabel('Message').fill(text);
  await page.getByLabel('Message').press('Enter');
}

const reply = (index: number) => page.getByTestId('reply').nth(index);

describe('the demo page survives a cut connection', () => {
  it('the server-side socket is cut mid-reply: the page resumes, and the reply completes in place, once', async () => {
    // The same question twice: once cut mid-reply, once not; both replies must read the same.
    await send('tell me everything');
    await expect.poll(async () => (await reply(0).innerText()).length).toBeGreaterThan(40);
    const before = sockets.length;
    sockets.at(-1)!.destroy();
    await page.locator('[data-testid=status][data-status=resumed]').waitFor({ timeout: 20_000 });
    expect(sockets.length).toBeGreaterThan(before);
    await expect.poll(() => reply(0).getAttribute('data-status'), { timeout: 30_000 }).toBe('complete');
    await page.screenshot({ path: `${TEST_OUTPUT}demo-resumed.png` });
    expect(await page.getByTestId('reply').count()).toBe(1);
    const cut = await reply(0).innerText();

    await send('tell me everything');
    await expect.poll(() => reply(1).getAttribute('data-status'), { timeout: 30_000 }).toBe('complete');
    expect(cut).toBe(await reply(1).innerText());
    expect(await page.getByTestId('banner').count()).toBe(0);
  }, 90_000);
});
