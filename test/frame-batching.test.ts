import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { startServer } from './helpers/server.js';
import { countWrites } from './helpers/socket-writes.js';
import { TestClient, textOfTurn } from './helpers/ws-client.js';

describe('frames of one tick leave in one write', () => {
  it('a reply the model sends all at once costs a few writes, not one per frame, and arrives whole', async () => {
    // FakeLLM hands over a whole reply in one go: 400 chunks of 3 characters reach the server's
    // send path within a few ticks.
    const reply = 'abc'.repeat(400);
    const server = await startServer({
      script: [{ input: 'burst', content: reply }],
      sendAccumulated: false,
    });
    let writes: { readonly count: number } | undefined;
    server.httpServer.prependListener('upgrade', (_request, socket: Duplex) => {
      writes = countWrites(socket);
    });
    const client = await TestClient.connect(server.url);
    const before = writes!.count;
    client.ask('burst');
    const end = await client.waitFor((f) => f.type === 'result');
    const frames = client.frames.slice(1, end + 1);
    const deltas = frames.filter((f) => f.type === 'delta').length;

    expect(textOfTurn(frames)).toBe(reply);
    expect(deltas).toBeGreaterThan(100);
    const used = writes!.count - before;
    console.log(`frame batching: ${frames.length} frames (${deltas} deltas) in ${used} socket writes`);
    expect(used).toBeLessThan(deltas / 4);
    client.socket.close();
  });

  it('a frame sent alone still goes out in its tick, and the socket works after the client has gone', async () => {
    const server = await startServer({ script: [{ input: 'hi', content: 'hello there' }] });
    const client = await TestClient.connect(server.url);
    client.ask('hi');
    await client.waitFor((f) => f.type === 'result');
    expect(textOfTurn(client.frames.slice(1))).toBe('hello there');
    // Cut mid-turn: a send that corks a socket being destroyed must not throw or keep it alive.
    const second = await TestClient.connect(server.url);
    second.ask('hi');
    second.socket.terminate();
    await second.closed;
    const third = await TestClient.connect(server.url);
    third.ask('hi');
    await third.waitFor((f) => f.type === 'result');
    expect(textOfTurn(third.frames.slice(1))).toBe('hello there');
    third.socket.close();
  });
});
