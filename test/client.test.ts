import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { type ClientStatus, StreamingAgentClient, type TurnFrame } from '../src/client/index.js';
import { DemoLLM } from '../src/demo/index.js';
import { createStreamingServer } from '../src/server/index.js';
import { waitFor } from './helpers/await.js';
import { startServer } from './helpers/server.js';
import { collect, createAgent } from './helpers/session.js';

const HELLO = 'Hello there! How can I help you today?';
const clientFor = (url: string, options = {}) => new StreamingAgentClient(url, { WebSocket, ...options });

describe('StreamingAgentClient against a real server', () => {
  it('connects on ready and reports deltas, completes and results through the callbacks', async () => {
    const server = await startServer({ sendAccumulated: false });
    const client = clientFor(server.url);
    const seen: string[] = [];
    let accumulated = '';
    client.onDelta = (delta, acc) => {
      seen.push(delta);
      accumulated = acc;
    };
    const completes: string[] = [];
    client.onComplete = (text) => completes.push(text);
    let events: unknown;
    client.onResult = (e) => {
      events = e;
    };
    await client.connect();
    expect(client.status).toBe('open');
    client.send('hello');
    await waitFor(() => events !== undefined, 'result');
    expect(seen.join('')).toBe(HELLO);
    // The server sent no `accumulated`; the client keeps it anyway.
    expect(accumulated).toBe(HELLO);
    expect(completes).toEqual([HELLO]);
    expect(events).toEqual([{ type: 'message', role: 'assistant', content: HELLO }]);
    client.close();
    expect(client.status).toBe('closed');
  });

  it('ask() yields one message’s frames and ends at its result, even with messages in flight', async () => {
    const server = await startServer();
    const client = clientFor(server.url);
    await client.connect();
    const [weather, hello] = await Promise.all([
      collect(client.ask('weather in Paris?')),
      collect(client.ask('hello')),
    ]);
    expect(weather.at(-1)?.type).toBe('result');
    expect(
      weather.filter((f) => f.type === 'complete').map((f) => (f.type === 'complete' ? f.text : '')),
    ).toEqual(['Let me check the weather.', 'It is sunny in Paris today.']);
    // However the model chunks the reply: deltas that add up to it, then its complete and result.
    expect(hello.slice(-2).map((f) => f.type)).toEqual(['complete', 'result']);
    const deltas = hello.slice(0, -2);
    expect(deltas.every((f) => f.type === 'delta')).toBe(true);
    expect(deltas.map((f) => (f.type === 'delta' ? f.delta : '')).join('')).toBe(HELLO);
    client.close();
  });

  it('interrupt() cuts the generation; the turn still ends with a result', async () => {
    const server = await startServer({ createLLM: () => new DemoLLM({ tokenDelayMs: 20 }) });
    const client = clientFor(server.url);
    await client.connect();
    const frames: TurnFrame[] = [];
    for await (const frame of client.ask('tell me something')) {
      frames.push(frame);
      if (frames.length === 3) client.interrupt();
    }
    expect(frames.at(-1)).toMatchObject({ type: 'result', interrupted: true });
    expect(frames.filter((f) => f.type === 'delta').length).toBeLessThan(20);
    client.close();
  });

  it('rejects connect() with a clear error when nothing listens', async () => {
    const probe = await startServer();
    const url = probe.url;
    await probe.close();
    const client = clientFor(url);
    await expect(client.connect()).rejects.toThrow(
      /could not connect to ws:\/\/127\.0\.0\.1:\d+: the server is unreachable/,
    );
    expect(client.status).toBe('closed');
  });

  it('rejects connect() when the server refuses the upgrade', async () => {
    const server = await startServer({ authenticate: () => false });
    await expect(clientFor(server.url).connect()).rejects.toThrow(/could not connect/);
  });

  it('reconnects with backoff after the server restarts, and reports its status', async () => {
    const first = await startServer();
    const port = first.port;
    const statuses: ClientStatus[] = [];
    const client = clientFor(first.url, { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    client.onStatus = (s) => statuses.push(s);
    const errors: string[] = [];
    client.onError = (_m, e) => errors.push(e.code);
    await client.connect();
    await first.close();
    await waitFor(() => client.status === 'reconnecting', 'reconnecting');
    const second = await createStreamingServer({
      port,
      createAgent: () => createAgent(),
      createLLM: () => new DemoLLM({ tokenDelayMs: 0 }),
    });
    try {
      await waitFor(() => client.status === 'open', 'reconnected');
      const frames = await collect(client.ask('hi again'));
      expect(frames.at(-1)?.type).toBe('result');
      expect(statuses).toEqual(expect.arrayContaining(['connecting', 'open', 'reconnecting']));
      expect(statuses.at(-1)).toBe('open');
      expect(errors).toContain('connection_lost');
    } finally {
      client.close();
      await second.close();
    }
  });

  it('a malformed or unknown frame reaches onError and does not break the client', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wss.on('connection', (ws) => {
      ws.send(JSON.stringify({ type: 'ready', message: 'ok' }));
      ws.on('message', () => {
        ws.send('not json');
        ws.send(JSON.stringify({ type: 'mystery' }));
        ws.send(JSON.stringify({ type: 'delta', delta: 5, generation: 1 }));
        ws.send(JSON.stringify({ type: 'delta', delta: 'fine', generation: 1 }));
      });
    });
    await new Promise((r) => wss.once('listening', r));
    const client = clientFor(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`);
    const errors: string[] = [];
    const deltas: string[] = [];
    client.onError = (_m, e) => errors.push(e.code);
    client.onDelta = (d) => deltas.push(d);
    await client.connect();
    client.send('go');
    await waitFor(() => deltas.length === 1, 'the valid delta');
    expect(errors).toEqual(['invalid_server_frame', 'invalid_server_frame', 'invalid_server_frame']);
    client.close();
    wss.close();
  });

  it('send() before connect() throws a clear error', () => {
    const client = clientFor('ws://127.0.0.1:1');
    expect(() => client.send('hi')).toThrow(/not connected/);
  });

  it('says what to do on a runtime with no WebSocket', () => {
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = undefined;
    try {
      expect(() => new StreamingAgentClient('ws://x')).toThrow(/Pass one: .*from 'ws'/);
    } finally {
      (globalThis as { WebSocket?: unknown }).WebSocket = saved;
    }
  });
});
