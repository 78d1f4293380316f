import { describe, expect, it } from 'vitest';
import { startServer } from './helpers/server.js';
import { TestClient, textOfTurn } from './helpers/ws-client.js';

describe('a client that stops reading', { timeout: 120_000 }, () => {
  it('gets every character once it resumes, in far fewer frames, while server memory stays bounded', async () => {
    // 33,334 chunks; with `accumulated` on every frame that would be ~1.7 GB queued for this client.
    const reply = 'word '.repeat(20_000);
    const server = await startServer({
      script: [{ input: 'long', content: reply }],
      highWaterMark: 16 * 1024,
    });
    const reader = await TestClient.connect(server.url);
    const heapBefore = process.memoryUsage().heapUsed;
    reader.socket.pause();
    reader.ask('long');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    reader.socket.resume();
    const end = await reader.waitFor((f) => f.type === 'result', 0, 60_000);
    const frames = reader.frames.slice(1, end + 1);

    expect(textOfTurn(frames)).toBe(reply);
    expect(frames.find((f) => f.type === 'complete')).toMatchObject({ text: reply });
    const deltas = frames.filter((f) => f.type === 'delta');
    expect(deltas.length).toBeLessThan(33_334 / 4);
    let prefix = '';
    for (const f of deltas) {
      if (f.type !== 'delta') continue;
      prefix += f.delta;
      expect(f.accumulated?.length).toBe(prefix.length);
    }
    console.log(
      `slow client: ${deltas.length} delta frames for 33,334 chunks; heap growth while paused ${(heapGrowth / 1e6).toFixed(1)} MB`,
    );
    expect(heapGrowth).toBeLessThan(150e6);
  });

  it('does not hold up a fast client on the same server', async () => {
    const reply = 'word '.repeat(20_000);
    const server = await startServer({
      script: [{ input: 'long', content: reply }],
      highWaterMark: 16 * 1024,
    });
    const slow = await TestClient.connect(server.url);
    const fast = await TestClient.connect(server.url);
    slow.socket.pause();
    slow.ask('long');
    // FakeLLM pushes the 33,334 chunks in one go; under load a turn of them takes a while.
    const frames = await fast.turn('long', 60_000);
    expect(textOfTurn(frames)).toBe(reply);
    expect(slow.frames.some((f) => f.type === 'result')).toBe(false);
    slow.socket.resume();
    await slow.waitFor((f) => f.type === 'result', 0, 60_000);
    expect(textOfTurn(slow.frames)).toBe(reply);
  });
});
