import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser } from '../../src/demo/page-server.js';
import { HOOK_COALESCE_MS } from '../../src/react/index.js';
import { launchChromium } from '../helpers/browser.js';
import { startServer } from '../helpers/server.js';

const PARAGRAPHS = Array.from({ length: 40 }, (_, i) => `Paragraph ${i + 1} says a few words here.`);

/** A page that renders each turn's text with `StreamingText`, and nothing else. */
const PAGE = `
import { createElement as h } from 'react';
import { createRoot } from 'react-dom/client';
import { StreamingText, useStreamingAgent } from '../../src/react/index.js';
function App() {
  const { turns, sendMessage, isOpen } = useStreamingAgent(new URLSearchParams(location.search).get('ws'));
  window.send = isOpen ? sendMessage : undefined;
  return h('div', null, turns.map((turn) =>
    h('div', { key: turn.id, id: 'reply', 'data-status': turn.status },
      turn.parts.map((part, i) => part.type === 'text'
        ? h(StreamingText, { key: i, part, paragraphClassName: 'para' })
        : null))));
}
createRoot(document.getElementById('root')).render(h(App));
`;

let http: Server;
let browser: Browser;

beforeAll(async () => {
  const js = await bundleForBrowser({
    source: PAGE,
    resolveDir: fileURLToPath(new URL('.', import.meta.url)),
  });
  http = createServer((request, response) => {
    if (request.url?.startsWith('/app.js'))
      response.writeHead(200, { 'Content-Type': 'text/javascript' }).end(js);
    else
      response
        .writeHead(200, { 'Content-Type': 'text/html' })
        .end('<!doctype html><div id="root"></div><script type="module" src="/app.js"></script>');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => http?.close(resolve));
});

describe('StreamingText (livekit-streaming-text/react) in Chromium', () => {
  it('one block per paragraph; a paragraph once closed is never touched again, only the last one grows', async () => {
    const server = await startServer({
      script: [{ input: 'go', content: PARAGRAPHS.join('\n\n'), duration: 1500 }],
    });
    const page = await browser.newPage();
    // What the hook's socket asks for and gets: its URL, and the delta frames it reads.
    const sockets: string[] = [];
    let deltaFrames = 0;
    page.on('websocket', (socket) => {
      sockets.push(socket.url());
      socket.on('framereceived', ({ payload }) => {
        if (String(payload).includes('"type":"delta"')) deltaFrames++;
      });
    });
    await page.goto(`http://127.0.0.1:${(http.address() as AddressInfo).port}/?ws=${server.url}`);
    await page.waitForFunction(() => typeof (window as { send?: unknown }).send === 'function');
    const seen = await page.evaluate(
      () =>
        new Promise<{
          paragraphs: string[];
          touchedAfterClose: number;
          closedSeen: number;
          commits: number;
          nodesPerClosed: number[];
        }>((resolve) => {
          /** Each paragraph block, once closed (a later one exists): the block, and mutations inside it since. */
          const closed = new Map<Element, number>();
          let touchedAfterClose = 0;
          let commits = 0;
          const observer = new MutationObserver((records) => {
            commits++;
            for (const record of records) {
              for (const [block] of closed) if (block.contains(record.target)) touchedAfterClose++;
            }
            const blocks = [...document.querySelectorAll('.para')];
            for (const block of blocks.slice(0, -1)) if (!closed.has(block)) closed.set(block, 0);
            const reply = document.getElementById('reply');
            if (reply && reply.dataset.status !== 'streaming') {
              observer.disconnect();
              const stillThere = [...closed.keys()].every((b) => b.isConnected);
              resolve({
                paragraphs: blocks.map((b) => b.textContent ?? ''),
                touchedAfterClose: stillThere ? touchedAfterClose : -1,
                closedSeen: closed.size,
                commits,
                nodesPerClosed: blocks.slice(0, -1).map((b) => b.childNodes.length),
              });
            }
          });
          observer.observe(document.body, {
            subtree: true,
            childList: true,
            characterData: true,
            attributes: true,
          });
          (window as unknown as { send: (m: string) => void }).send('go');
        }),
    );
    // Each paragraph in its own block (the blank line is the closing "\n" of an empty one).
    expect(seen.paragraphs.join('')).toBe(PARAGRAPHS.join('\n\n'));
    expect(seen.paragraphs.filter((p) => p.trim() !== '').map((p) => p.trim())).toEqual(PARAGRAPHS);
    // Several commits, each after paragraphs had closed in earlier ones.
    expect(seen.commits).toBeGreaterThanOrEqual(3);
    expect(seen.closedSeen).toBeGreaterThan(40);
    expect(seen.touchedAfterClose).toBe(0);
    // A closed paragraph is one text node, however many deltas it was made of.
    expect(new Set(seen.nodesPerClosed)).toEqual(new Set([1]));
    // The hook asks for one display frame's window by default: FakeLLM's 3-character chunks, a few ms
    // apart, arrive merged (at most one frame per window, plus the first and the last).
    expect(sockets).toHaveLength(1);
    expect(new URL(sockets[0]!).searchParams.get('coalesceMs')).toBe(String(HOOK_COALESCE_MS));
    const chunks = Math.ceil(PARAGRAPHS.join('\n\n').length / 3);
    expect(deltaFrames).toBeGreaterThan(0);
    expect(deltaFrames).toBeLessThan(chunks / 2);
    await page.close();
  }, 60_000);
});
