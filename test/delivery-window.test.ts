import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { StreamingAgentClient } from '../src/client/index.js';
import type { ServerFrame } from '../src/protocol/frames.js';
import { askedCoalesceMs, namesCoalesce, withCoalesce } from '../src/protocol/negotiation.js';
import { createStreamingServer } from '../src/server/index.js';
import { FrameSender } from '../src/session/frame-sender.js';
import { startResumingServer, startServer } from './helpers/server.js';
import { countWrites } from './helpers/socket-writes.js';
import { TestClient, textOfTurn } from './helpers/ws-client.js';

/** Longer than any test: whatever waits in the window leaves only because something flushed it. */
const FOREVER = 10 * 60_000;

/** A real ws pair on loopback: the server side wrapped in a FrameSender, the client recording. */
async function socketPair(coalesceMs: number) {
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  pairs.push({ http, wss });
  let transport: Socket | undefined;
  let writes: { readonly count: number } | undefined;
  http.prependListener('upgrade', (_request, socket: Duplex) => {
    transport = socket as Socket;
    writes = countWrites(socket);
  });
  const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
  const received: ServerFrame[] = [];
  client.on('message', (data) => received.push(JSON.parse(String(data)) as ServerFrame));
  await new Promise((resolve) => client.once('open', resolve));
  const socket = await serverSide;
  const sender = new FrameSender(socket, 64 * 1024, { transport, coalesceMs });
  /** Resolves once `n` frames have arrived. */
  const arrived = async (n: number) => {
    while (received.length < n) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  return { sender, client, socket, received, arrived, writes: () => writes!.count, transport: transport! };
}
const pairs: Array<{ http: Server; wss: WebSocketServer }> = [];
afterEach(async () => {
  for (const { http, wss } of pairs.splice(0)) {
    for (const client of wss.clients) client.terminate();
    wss.close();
    await new Promise((resolve) => http.close(resolve));
  }
});

const delta = (text: string, accumulated: string, generation = 1): ServerFrame => ({
  type: 'delta',
  delta: text,
  accumulated,
  generation,
});
const nextTick = () => new Promise((resolve) => setImmediate(resolve));

describe('the delivery window (coalesceMs) on one socket', () => {
  it('0 is today: each delta sent in its own tick is its own frame', async () => {
    const { sender, received, arrived } = await socketPair(0);
    let text = '';
    for (const part of ['a', 'b', 'c', 'd']) {
      text += part;
      sender.send(delta(part, text));
      await nextTick();
    }
    await arrived(4);
    expect(received.map((f) => (f.type === 'delta' ? f.delta : f.type))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('the first delta goes at once; the rest of the window leaves as one frame, its accumulated true', async () => {
    const { sender, received, arrived } = await socketPair(FOREVER);
    let text = '';
    for (let i = 0; i < 500; i++) {
      text += `w${i} `;
      sender.send(delta(`w${i} `, text));
      await nextTick();
    }
    await arrived(1);
    expect(received).toHaveLength(1);
    // A complete sends what waits first: nothing is lost or overtaken.
    sender.send({ type: 'complete', text, generation: 1 });
    await arrived(3);
    expect(received.map((f) => f.type)).toEqual(['delta', 'delta', 'complete']);
    const [first, merged] = received as Array<Extract<ServerFrame, { type: 'delta' }>>;
    expect(first!.delta + merged!.delta).toBe(text);
    expect(merged!.accumulated).toBe(text);
  });

  it('a tool step, a result and an error each send the waiting delta first, in order', async () => {
    const { sender, received, arrived } = await socketPair(FOREVER);
    sender.send(delta('Let ', 'Let '));
    sender.send(delta('me ', 'Let me '));
    sender.send(delta('check.', 'Let me check.'));
    sender.send({ type: 'tool_call', callId: 'c1', name: 'getWeather', arguments: '{}' });
    sender.send(delta('Sunny', 'Sunny', 2));
    sender.send(delta('.', 'Sunny.', 2));
    sender.send({ type: 'result', id: 'x' } as ServerFrame);
    sender.send(delta('late', 'late', 3));
    sender.send(delta('!', 'late!', 3));
    sender.send({ type: 'error', code: 'turn_timeout', message: 'x' } as ServerFrame);
    await arrived(9);
    expect(received.map((f) => (f.type === 'delta' ? `delta:${f.delta}` : f.type))).toEqual([
      'delta:Let ',
      'delta:me check.',
      'tool_call',
      'delta:Sunny',
      'delta:.',
      'result',
      'delta:late',
      'delta:!',
      'error',
    ]);
  });

  it("deltas of another generation never merge into the waiting one's frame", async () => {
    const { sender, received, arrived } = await socketPair(FOREVER);
    sender.send(delta('a', 'a', 1));
    sender.send(delta('b', 'ab', 1));
    sender.send(delta('x', 'x', 2));
    sender.send({ type: 'complete', text: 'x', generation: 2 });
    await arrived(4);
    expect(received).toMatchObject([
      { delta: 'a', generation: 1 },
      { delta: 'b', generation: 1 },
      { delta: 'x', generation: 2 },
      { type: 'complete' },
    ]);
  });

  it('does not change a frame it was given (a session log keeps them)', async () => {
    const { sender, arrived } = await socketPair(FOREVER);
    const frames = [delta('a', 'a'), delta('b', 'ab'), delta('c', 'abc'), delta('d', 'abcd')];
    const copies = structuredClone(frames);
    for (const frame of frames) sender.send(frame);
    sender.flush();
    await arrived(2);
    expect(frames).toEqual(copies);
  });

  it('a window ends by its timer when nothing follows, in one write', async () => {
    // Long enough that the four sends below fall inside it on a loaded machine too.
    const { sender, received, arrived, writes } = await socketPair(1500);
    sender.send(delta('a', 'a'));
    await arrived(1);
    const before = writes();
    let text = 'a';
    for (const part of ['b', 'c', 'd', 'e']) {
      text += part;
      sender.send(delta(part, text));
      await nextTick();
    }
    await arrived(2);
    expect(received[1]).toMatchObject({ delta: 'bcde', accumulated: 'abcde' });
    expect(writes() - before).toBe(1);
  });

  it('a busy loop that makes the window timer late does not hold text longer: the next delta sends it', async () => {
    const { sender, received, arrived, transport } = await socketPair(30);
    sender.send(delta('a', 'a'));
    await arrived(1);
    sender.send(delta('b', 'ab'));
    // Block the loop past the window, as a saturated server does: the timer cannot fire.
    const until = performance.now() + 60;
    while (performance.now() < until);
    expect(transport.writableLength).toBe(0);
    sender.send(delta('c', 'abc'));
    // Handed to the socket in this very call, not at the late timer.
    expect(transport.writableLength).toBeGreaterThan(0);
    await arrived(2);
    expect(received[1]).toMatchObject({ delta: 'bc', accumulated: 'abc' });
  });

  it('deltas slower than the window go at once, also right after a burst it held', async () => {
    const { sender, received, arrived, transport } = await socketPair(50);
    const sentAtOnce = (part: string, text: string) => {
      sender.send(delta(part, text));
      // Handed to the socket in this very call (a held delta waits for the window's timer).
      return transport.writableLength > 0;
    };
    expect(sentAtOnce('a', 'a')).toBe(true);
    await arrived(1);
    expect(sentAtOnce('b', 'ab')).toBe(false);
    // A model's pace, one delta per 70 ms against a 50 ms window: none waits, none needs a timer,
    // also the first after the held one, though it comes less than a window after that one left.
    let text = 'ab';
    for (const part of ['c', 'd', 'e']) {
      await new Promise((resolve) => setTimeout(resolve, 70));
      text += part;
      expect(sentAtOnce(part, text), part).toBe(true);
    }
    await arrived(5);
    expect(received.map((f) => (f.type === 'delta' ? f.delta : f.type))).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('a client that closes mid-window: the waiting text is dropped, its timer cleared, nothing throws', async () => {
    const { sender, client, socket, received, arrived } = await socketPair(FOREVER);
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    sender.send(delta('a', 'a'));
    await arrived(1);
    const before = timers();
    sender.send(delta('b', 'ab'));
    expect(timers()).toBe(before + 1);
    await Promise.all([
      new Promise((resolve) => socket.once('close', resolve)),
      new Promise((resolve) => client.once('close', resolve)),
      client.close(),
    ]);
    // A window timer left behind would hold the process open for the whole window.
    expect(timers()).toBeLessThanOrEqual(before);
    sender.send(delta('c', 'abc'));
    sender.flush();
    expect(sender.isOpen).toBe(false);
    expect(received).toHaveLength(1);
  });
});

describe('the delivery window on a server', () => {
  it('rejects a bad coalesceMs at construction, naming it', async () => {
    for (const value of [-1, 1.5, '33', Number.NaN, 2 ** 31]) {
      await expect(
        (async () =>
          createStreamingServer({
            port: 0,
            createAgent: () => undefined as never,
            coalesceMs: value as number,
          }))(),
      ).rejects.toThrow(/coalesceMs/);
    }
  });

  it('a 100x long reply arrives whole in a handful of frames, complete and result after it', async () => {
    // FakeLLM hands over 33,334 chunks of 3 characters; a window longer than the test merges them all.
    const reply = 'word '.repeat(20_000);
    const server = await startServer({ script: [{ input: 'long', content: reply }], coalesceMs: FOREVER });
    const client = await TestClient.connect(server.url);
    const frames = await client.turn('long', 60_000);
    expect(textOfTurn(frames)).toBe(reply);
    expect(frames.map((f) => f.type).slice(-2)).toEqual(['complete', 'result']);
    const deltas = frames.filter((f) => f.type === 'delta');
    expect(deltas.length).toBeLessThanOrEqual(3);
    expect(deltas.at(-1)).toMatchObject({ accumulated: reply });
    client.socket.close();
  });

  it('a stalled client gets every character once it reads again', async () => {
    const reply = 'word '.repeat(20_000);
    const server = await startServer({
      script: [{ input: 'long', content: reply }],
      highWaterMark: 16 * 1024,
      coalesceMs: 50,
    });
    const client = await TestClient.connect(server.url);
    client.socket.pause();
    client.ask('long');
    await new Promise((resolve) => setTimeout(resolve, 500));
    client.socket.resume();
    const end = await client.waitFor((f) => f.type === 'result', 0, 60_000);
    expect(textOfTurn(client.frames.slice(1, end + 1))).toBe(reply);
    client.socket.close();
  });

  it('a tool turn keeps its order: text, tool_call, tool_output, answer, result', async () => {
    const turnWith = async (coalesceMs: number) => {
      const server = await startServer({ coalesceMs });
      const client = await TestClient.connect(server.url);
      const frames = await client.turn('weather in Paris?');
      client.socket.close();
      return frames;
    };
    // Consecutive deltas of one generation count once: that is all the window may change.
    const order = (frames: ServerFrame[]) =>
      frames
        .map((f) => (f.type === 'delta' ? `delta${f.generation}` : f.type))
        .filter((t, i, all) => !(t.startsWith('delta') && all[i - 1] === t));
    const deltas = (frames: ServerFrame[]) => frames.filter((f) => f.type === 'delta').length;
    const windowed = await turnWith(FOREVER);
    const plain = await turnWith(0);
    expect(order(windowed)).toEqual(order(plain));
    expect(textOfTurn(windowed)).toBe(textOfTurn(plain));
    expect(deltas(windowed)).toBeLessThan(deltas(plain));
  });

  it('a resumed session replays from the seq of the merged frame the client had', async () => {
    const server = await startResumingServer({ coalesceMs: FOREVER });
    const first = await TestClient.connect(server.url);
    const token = (first.frames[0] as { token?: string }).token!;
    const frames = await first.turn('count 500');
    const text = textOfTurn(frames);
    expect(frames.filter((f) => f.type === 'delta').length).toBeLessThanOrEqual(3);
    const seqs = frames.map((f) => (f as { seq?: number }).seq!);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    first.socket.terminate();
    await first.closed;
    // Resuming from before the merged frame gets the same text again, without a gap.
    const back = await TestClient.resume(server.url, token, seqs[0]!);
    await back.waitFor((f) => f.type === 'result');
    expect(textOfTurn([frames[0]!, ...back.frames.slice(1)])).toBe(text);
    back.socket.close();
  });
});

describe('a delivery window the client asks for (?coalesceMs=)', () => {
  const reply = 'word '.repeat(20_000);
  /** The delta frames of one long reply, for a raw client that opens `query` on a default server. */
  const deltasWith = async (query: string) => (await turnWith(query)).deltas;
  /** The delta frames of the long reply, and how long the turn took. */
  const turnWith = async (query: string) => {
    const server = await startServer({ script: [{ input: 'long', content: reply }] });
    const client = await TestClient.connect(`${server.url}${query}`);
    const started = performance.now();
    const frames = await client.turn('long', 60_000);
    const ms = performance.now() - started;
    client.socket.close();
    expect(textOfTurn(frames)).toBe(reply);
    return { deltas: frames.filter((f) => f.type === 'delta').length, ms };
  };
  /** What a window of `windowMs` allows in `ms`: the first delta, one frame per window, the last. */
  const allowed = (windowMs: number, ms: number) => 2 + Math.ceil(ms / windowMs);

  it('ignores an ask that is not a number of ms, and caps a long one at 1000 ms', async () => {
    for (const bad of ['abc', '-5', '1e3', 'Infinity', '', '1.', '.5', '16ms']) {
      expect(askedCoalesceMs(`/ws?coalesceMs=${encodeURIComponent(bad)}`), bad).toBe(0);
    }
    expect(askedCoalesceMs('/ws')).toBe(0);
    expect(askedCoalesceMs(undefined)).toBe(0);
    expect(askedCoalesceMs('/ws?a=1&coalesceMs=16')).toBe(16);
    expect(askedCoalesceMs('/ws?coalesceMs=5000')).toBe(1000);
    expect(askedCoalesceMs('/ws?coalesceMs=999999999999')).toBe(1000);
    // On a real server a bad ask is no window: many frames (only backpressure merges), not a few.
    expect(await deltasWith('?coalesceMs=-5')).toBeGreaterThan(20);
  });

  it("server.close() sends the text waiting in a client's window before its goodbye", async () => {
    const { DemoLLM, createDemoAgent } = await import('../src/demo/index.js');
    const server = await createStreamingServer({
      port: 0,
      createAgent: createDemoAgent,
      createLLM: () => new DemoLLM({ tokenDelayMs: 20 }),
    });
    const client = await TestClient.connect(`${server.url}?coalesceMs=1000`);
    client.ask('Tell me about LiveKit');
    await client.waitFor((f) => f.type === 'delta');
    // Within the 1 s window: every delta after the first waits in it.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await server.close();
    await client.closed;
    const deltas = client.frames.filter((f) => f.type === 'delta');
    expect(client.closeCode).toBe(1001);
    // The first delta went at once; the ones that waited went before the close (without: 1 frame).
    expect(deltas.length).toBeGreaterThanOrEqual(2);
    expect(textOfTurn(client.frames).length).toBeGreaterThan((deltas[0] as { delta: string }).delta.length);
  });

  it("a server with no window of its own merges a client's deltas when that client asks", async () => {
    // FakeLLM hands over its 33,334 chunks at once: with no window, only backpressure merges them
    // (tens to hundreds of frames); within 1 s windows they are a handful.
    const none = await deltasWith('');
    const asked = await turnWith('?coalesceMs=1000');
    expect(none).toBeGreaterThan(20);
    expect(asked.deltas).toBeLessThanOrEqual(allowed(1000, asked.ms));
  });

  it('our client asks for the window its coalesceMs option says, and for none by default', async () => {
    expect(withCoalesce('ws://h/ws?accumulated=0', 16)).toBe('ws://h/ws?accumulated=0&coalesceMs=16');
    // The option set in code wins over an ask written in the URL (even an empty one), 0 takes the
    // URL's out, and no option leaves the URL as written.
    expect(withCoalesce('ws://h/ws?coalesceMs=5#x', 16)).toBe('ws://h/ws?coalesceMs=16#x');
    expect(withCoalesce('ws://h/ws?coalesceMs&a=1', 16)).toBe('ws://h/ws?a=1&coalesceMs=16');
    expect(withCoalesce('ws://h/ws?coalesceMs=5', 0)).toBe('ws://h/ws');
    expect(withCoalesce('ws://h/ws?a=1&coalesceMs=5#x', 0)).toBe('ws://h/ws?a=1#x');
    expect(withCoalesce('ws://h/ws?coalesceMs=5', undefined)).toBe('ws://h/ws?coalesceMs=5');
    expect(withCoalesce('ws://h/ws', 0)).toBe('ws://h/ws');
    expect(namesCoalesce('ws://h/ws?a=1&coalesceMs=40')).toBe(true);
    expect(namesCoalesce('ws://h/ws?xcoalesceMs=40#coalesceMs=1')).toBe(false);
    const server = await startServer({ script: [{ input: 'long', content: reply }] });
    const urls: string[] = [];
    class Recording extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        urls.push(url);
        super(url, protocols);
      }
    }
    let ms = 0;
    const deltaEvents = async (options: { coalesceMs?: number }) => {
      const client = new StreamingAgentClient(server.url, { WebSocket: Recording, ...options });
      await client.connect();
      const started = performance.now();
      let events = 0;
      let text = '';
      for await (const frame of client.ask('long')) {
        if (frame.type === 'delta') {
          events++;
          text += frame.delta;
        }
      }
      ms = performance.now() - started;
      client.close();
      expect(text).toBe(reply);
      return events;
    };
    const asked = await deltaEvents({ coalesceMs: 16 });
    const askedMs = ms;
    const unasked = await deltaEvents({});
    expect(new URL(urls[0]!).searchParams.get('coalesceMs')).toBe('16');
    expect(new URL(urls[1]!).searchParams.has('coalesceMs')).toBe(false);
    expect(unasked).toBeGreaterThan(20);
    expect(asked).toBeLessThanOrEqual(allowed(16, askedMs));
  });
});
