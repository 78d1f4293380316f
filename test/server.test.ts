import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { DemoLLM } from '../src/demo/index.js';
import type { ServerFrame } from '../src/protocol/frames.js';
import { waitFor } from './helpers/await.js';
import { FailingLLM } from './helpers/failing-llm.js';
import { ScriptedChunkLLM } from './helpers/scripted-llm.js';
import { startServer } from './helpers/server.js';
import { TestClient, textOfTurn } from './helpers/ws-client.js';

const HELLO = 'Hello there! How can I help you today?';
const longReplyLLM = () => new ScriptedChunkLLM(() => new Array<string>(20_000).fill('word '));

function expectWellFormedTurn(frames: ServerFrame[]) {
  const last = frames.at(-1)!;
  expect(last.type).toBe('result');
  // Every delta, complete and tool step arrives before the result, none after it.
  const inTurn = new Set(['delta', 'complete', 'tool_call', 'tool_output']);
  expect(frames.slice(0, -1).every((f) => inTurn.has(f.type))).toBe(true);
  for (const f of frames) {
    if (f.type === 'complete') expect(f.text).toBe(textOfTurn(frames, f.generation));
  }
}

describe('turns', () => {
  it('sends ready, then deltas, complete and result for a message', async () => {
    const server = await startServer();
    const client = await TestClient.connect(server.url);
    expect(client.frames[0]).toEqual({ type: 'ready', message: 'Agent ready', maxPayload: 64 * 1024 });
    expect(server.activeSessions).toBe(1);
    const frames = await client.turn('hello');
    expectWellFormedTurn(frames);
    expect(textOfTurn(frames)).toBe(HELLO);
    let prefix = '';
    for (const f of frames) {
      if (f.type !== 'delta') continue;
      prefix += f.delta;
      expect(f.accumulated).toBe(prefix);
    }
    expect(frames.at(-1)).toEqual({
      type: 'result',
      events: [{ type: 'message', role: 'assistant', content: HELLO }],
    });
  });

  it('a tool-call turn sends generation 1, tool_call, tool_output, generation 2, then result, and the next turn is clean (20 rounds)', async () => {
    const server = await startServer({ rateLimit: false });
    const client = await TestClient.connect(server.url);
    for (let round = 0; round < 20; round++) {
      const weather = await client.turn('weather in Paris?');
      expectWellFormedTurn(weather);
      // The order of the frame kinds, runs of deltas collapsed into one entry. Generations are
      // counted per connection: each round has three (two here, one in 'hello').
      const first = 3 * round + 1;
      const kinds = weather
        .map((f) => (f.type === 'delta' ? `delta ${f.generation - first + 1}` : f.type))
        .filter((kind, i, all) => kind !== all[i - 1]);
      expect(kinds).toEqual([
        'delta 1',
        'complete',
        'tool_call',
        'tool_output',
        'delta 2',
        'complete',
        'result',
      ]);
      expect(weather.filter((f) => f.type === 'tool_call' || f.type === 'tool_output')).toEqual([
        { type: 'tool_call', callId: 'fake_call_0', name: 'getWeather', arguments: '{"city":"Paris"}' },
        { type: 'tool_output', callId: 'fake_call_0', name: 'getWeather', output: '"sunny"', isError: false },
      ]);
      const completes = weather.filter((f) => f.type === 'complete');
      expect(completes.map((f) => (f.type === 'complete' ? f.text : ''))).toEqual([
        'Let me check the weather.',
        'It is sunny in Paris today.',
      ]);
      const result = weather.at(-1)!;
      // `result.events` is the framework's RunResult: the first message and the call it made can
      // swap places under load (its item callbacks race), so the events are compared as a set; the
      // order we promise is the frames', asserted above.
      const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
      expect(result.type === 'result' && [...result.events].sort(byJson)).toEqual(
        [
          { type: 'message', role: 'assistant', content: 'Let me check the weather.' },
          { type: 'function_call', name: 'getWeather', arguments: '{"city":"Paris"}', callId: 'fake_call_0' },
          {
            type: 'function_call_output',
            output: '"sunny"',
            name: 'getWeather',
            callId: 'fake_call_0',
            isError: false,
          },
          { type: 'message', role: 'assistant', content: 'It is sunny in Paris today.' },
        ].sort(byJson),
      );
      const next = await client.turn('hello');
      expectWellFormedTurn(next);
      expect(textOfTurn(next)).toBe(HELLO);
    }
  });

  it('answers back-to-back messages in order, echoing ids', async () => {
    const server = await startServer();
    const client = await TestClient.connect(server.url);
    client.ask('hello', 'a');
    client.ask('weather in Paris?', 'b');
    client.ask('hello', 'c');
    await client.waitFor((f) => f.type === 'result' && f.id === 'c');
    const turns = client.frames.slice(1);
    const ids = turns.map((f) => ('id' in f ? f.id : undefined));
    const order = ids.filter((id, i) => id !== ids[i - 1]);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(turns.filter((f) => f.type === 'result')).toHaveLength(3);
  });

  it('interrupt stops the generation; the turn still ends with complete and result', async () => {
    const server = await startServer({ createLLM: () => new DemoLLM({ tokenDelayMs: 20 }) });
    const client = await TestClient.connect(server.url);
    client.ask('tell me a story');
    await client.waitFor((f) => f.type === 'delta');
    client.send({ type: 'interrupt' });
    const end = await client.waitFor((f) => f.type === 'result');
    const frames = client.frames.slice(1, end + 1);
    expectWellFormedTurn(frames);
    const complete = frames.find((f) => f.type === 'complete');
    const full = (await TestClient.connect(server.url).then((c) => c.turn('tell me a story'))).find(
      (f) => f.type === 'complete',
    );
    const partial = complete?.type === 'complete' ? complete.text : '';
    expect(full?.type === 'complete' && full.text.startsWith(partial)).toBe(true);
    expect(partial.length).toBeLessThan(full?.type === 'complete' ? full.text.length : 0);
    expect(frames.at(-1)).toMatchObject({ type: 'result', interrupted: true });
    client.send({ type: 'interrupt' });
    await client.waitFor((f) => f.type === 'error' && f.code === 'nothing_to_interrupt');
  });

  it('past the queue bound a message gets busy, and the queued ones are still answered', async () => {
    const server = await startServer({ maxQueuedMessages: 1 });
    const client = await TestClient.connect(server.url);
    for (const id of ['1', '2', '3']) client.ask('hello', id);
    await client.waitFor((f) => f.type === 'error' && f.code === 'busy' && f.id === '3');
    await client.waitFor((f) => f.type === 'result' && f.id === '2');
    expect(client.frames.filter((f) => f.type === 'result')).toHaveLength(2);
  });

  it('sendAccumulated: false leaves accumulated off the delta frames', async () => {
    const server = await startServer({ sendAccumulated: false });
    const client = await TestClient.connect(server.url);
    const frames = await client.turn('hello');
    expect(frames.filter((f) => f.type === 'delta').every((f) => !('accumulated' in f))).toBe(true);
    expect(textOfTurn(frames)).toBe(HELLO);
  });
});

describe('bad input', () => {
  const cases: Array<[string, string | Buffer, string]> = [
    ['invalid JSON', '{"message": ', 'invalid_json'],
    ['a non-object', '[1,2]', 'invalid_frame'],
    ['null', 'null', 'invalid_frame'],
    ['a missing message', '{}', 'invalid_message'],
    ['an empty message', '{"message": "  "}', 'invalid_message'],
    ['a non-string message', '{"message": 42}', 'invalid_message'],
    ['an unknown type', '{"type": "dance"}', 'unknown_type'],
    ['a bad id', '{"message": "hi", "id": 7}', 'invalid_id'],
    ['a binary frame', Buffer.from('{"message":"hello"}'), 'binary_frame'],
  ];
  it.each(cases)('%s gets an error frame and the connection stays usable', async (_name, frame, code) => {
    const server = await startServer();
    const client = await TestClient.connect(server.url);
    client.socket.send(frame);
    await client.waitFor((f) => f.type === 'error' && f.code === code);
    const error = client.frames.find((f) => f.type === 'error')!;
    expect(error.type === 'error' && error.message).toMatch(/\w+/);
    expect(JSON.stringify(error)).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(textOfTurn(await client.turn('hello'))).toBe(HELLO);
  });

  it('a frame over maxPayload closes the connection with 1009', async () => {
    const server = await startServer({ maxPayload: 1024 });
    const client = await TestClient.connect(server.url);
    client.ask('x'.repeat(2048));
    expect(await client.closed).toBe(1009);
    await waitFor(() => server.activeSessions === 0, 'session to close');
  });
});

describe('clients that go away', () => {
  it('a client that disconnects mid-stream releases its session', async () => {
    // A model that yields between chunks as a network stream does (FakeLLM queues the whole reply
    // in one microtask run, so under load the first delta can take longer than the wait).
    const server = await startServer({ createLLM: longReplyLLM });
    const client = await TestClient.connect(server.url);
    client.ask('long');
    await client.waitFor((f) => f.type === 'delta');
    client.socket.terminate();
    await waitFor(() => server.activeSessions === 0 && server.activeConnections === 0, 'cleanup');
  });

  it('server.close() closes live clients with 1001 and every session', async () => {
    const server = await startServer({ createLLM: longReplyLLM });
    const clients = await Promise.all([1, 2, 3].map(() => TestClient.connect(server.url)));
    for (const c of clients) c.ask('long');
    await Promise.all(clients.map((c) => c.waitFor((f) => f.type === 'delta')));
    await server.close();
    expect(await Promise.all(clients.map((c) => c.closed))).toEqual([1001, 1001, 1001]);
    expect(server.activeSessions).toBe(0);
    await expect(TestClient.connect(server.url)).rejects.toThrow();
  });

  it('a peer that stops answering pings is terminated', async () => {
    const server = await startServer({ heartbeatIntervalMs: 100 });
    const client = await TestClient.connect(server.url, { autoPong: false });
    expect(await client.closed).toBe(1006);
    await waitFor(() => server.activeSessions === 0, 'session to close');
  });

  it('a peer that answers pings stays connected', async () => {
    const server = await startServer({ heartbeatIntervalMs: 50 });
    const client = await TestClient.connect(server.url);
    await new Promise((r) => setTimeout(r, 400));
    expect(client.closeCode).toBeUndefined();
    expect(textOfTurn(await client.turn('hello'))).toBe(HELLO);
  });
});

describe('security', () => {
  it('refuses an origin that is not allowed with 403, accepts one that is', async () => {
    const server = await startServer({ allowedOrigins: ['https://app.example'] });
    await expect(TestClient.connect(server.url, { origin: 'https://evil.example' })).rejects.toThrow(
      'HTTP 403',
    );
    await expect(TestClient.connect(server.url)).rejects.toThrow('HTTP 403');
    const client = await TestClient.connect(server.url, { origin: 'https://app.example' });
    expect(client.frames[0]?.type).toBe('ready');
  });

  it('refuses a request authenticate() rejects with 401', async () => {
    const server = await startServer({
      authenticate: (req) => (req.headers.authorization === 'Bearer good' ? { user: 'ann' } : false),
    });
    await expect(
      TestClient.connect(server.url, { headers: { authorization: 'Bearer bad' } }),
    ).rejects.toThrow('HTTP 401');
    const ok = await TestClient.connect(server.url, { headers: { authorization: 'Bearer good' } });
    expect(ok.frames[0]?.type).toBe('ready');
  });

  it('an authenticate() that throws refuses with 401', async () => {
    const server = await startServer({
      authenticate: () => {
        throw new Error('db down');
      },
    });
    await expect(TestClient.connect(server.url)).rejects.toThrow('HTTP 401');
  });

  it('rate-limits frames per connection', async () => {
    const server = await startServer({ rateLimit: { burst: 3, perSecond: 1 } });
    const client = await TestClient.connect(server.url);
    for (let i = 0; i < 6; i++) client.send('nope');
    await waitFor(() => client.frames.filter((f) => f.type === 'error').length === 6, 'six answers');
    const codes = client.frames
      .filter((f) => f.type === 'error')
      .map((f) => (f.type === 'error' ? f.code : ''));
    expect(codes.slice(0, 3)).toEqual(['invalid_json', 'invalid_json', 'invalid_json']);
    expect(codes.slice(3)).toEqual(['rate_limited', 'rate_limited', 'rate_limited']);
  });

  it('refuses connections past maxConnections with 503', async () => {
    const server = await startServer({ maxConnections: 1 });
    await TestClient.connect(server.url);
    await expect(TestClient.connect(server.url)).rejects.toThrow('HTTP 503');
  });

  it("attaches to the app's http.Server at a path, beside the app's own pages and sockets", async () => {
    const { createServer } = await import('node:http');
    const http = createServer((_q, r) => r.end('page'));
    // The app's own WebSocket endpoint on the same server, at another path.
    const appSockets = new WebSocketServer({ noServer: true });
    http.on('upgrade', (request, socket, head) => {
      if (request.url === '/other') {
        appSockets.handleUpgrade(request, socket, head, (ws) => ws.send('the app answered'));
      }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as { port: number }).port;
    const server = await startServer({ server: http, path: '/agent' });
    expect(server.url).toBe(`ws://127.0.0.1:${port}/agent`);
    const client = await TestClient.connect(server.url);
    expect(textOfTurn(await client.turn('hello'))).toBe(HELLO);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('page');
    // An upgrade for the other path reaches the app's handler, untouched by ours.
    const other = new WebSocket(`ws://127.0.0.1:${port}/other`);
    const first = await new Promise<string>((resolve, reject) => {
      other.once('message', (data) => resolve(String(data)));
      other.once('error', reject);
    });
    expect(first).toBe('the app answered');
    other.close();
    // Closing ours leaves the app's server running.
    await server.close();
    expect(http.listening).toBe(true);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('page');
    appSockets.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });
});

describe('failing models', () => {
  it('a model that throws mid-stream: partial text, then run_failed, then the next message is answered', async () => {
    const server = await startServer({ createLLM: () => new FailingLLM('throw') });
    const client = await TestClient.connect(server.url);
    const frames = await client.turn('fail');
    expect(textOfTurn(frames)).toBe('Partial text before the failure. ');
    expect(frames.at(-2)).toMatchObject({ type: 'complete', text: 'Partial text before the failure. ' });
    expect(frames.at(-1)).toMatchObject({ type: 'error', code: 'run_failed' });
    const next = await client.turn('hello');
    expect(next.map((f) => f.type)).toEqual(['delta', 'complete', 'result']);
    expect(textOfTurn(next)).toBe('All good now.');
  });

  it('a model that hangs is cut by turnTimeoutMs: partial text, turn_timeout, the next turn is clean', async () => {
    const server = await startServer({ createLLM: () => new FailingLLM('hang'), turnTimeoutMs: 300 });
    const client = await TestClient.connect(server.url);
    const frames = await client.turn('fail');
    expect(frames.at(-2)).toMatchObject({ type: 'complete', text: 'Partial text before the failure. ' });
    expect(frames.at(-1)).toMatchObject({ type: 'error', code: 'turn_timeout' });
    const next = await client.turn('hello');
    expect(next.map((f) => f.type)).toEqual(['delta', 'complete', 'result']);
    expect(textOfTurn(next)).toBe('All good now.');
  });
});
