/**
 * Issue 9 ("hard edges"): each defect found by probing the server from outside, reproduced with a
 * real `ws` client (or a raw socket) on 127.0.0.1 and a real AgentSession. Each test failed on the
 * code before the fix.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ErrorFrame, ServerFrame } from '../src/protocol/frames.js';
import { waitFor } from './helpers/await.js';
import { FailingLLM } from './helpers/failing-llm.js';
import { quietSocket, rawUpgrade } from './helpers/raw-http.js';
import { TestLLM } from './helpers/scripted-llm.js';
import { startServer } from './helpers/server.js';
import { TestClient, textOfTurn } from './helpers/ws-client.js';

/** An LLM that streams one chunk and then waits until the framework aborts it. */
const hangingLLM = () =>
  new TestLLM(async (_message, put, signal) => {
    put('Thinking');
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
  });

async function pageServer(): Promise<{ http: Server; port: number }> {
  const http = createServer((_request, response) => response.writeHead(404).end('no page here'));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { http, port: (http.address() as AddressInfo).port };
}

const sentinel = <T>(ms: number, value: T) =>
  new Promise<T>((resolve) => setTimeout(() => resolve(value), ms).unref());

describe('item 2: maxConnections holds while authenticate is async', () => {
  it('30 concurrent upgrades with a slow authenticate and maxConnections 5: 5 get in, 25 get 503', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const server = await startServer({
      maxConnections: 5,
      authenticate: async () => {
        calls++;
        await gate;
        return true;
      },
    });
    const answers: Array<Promise<'open' | number>> = [];
    const sockets: WebSocket[] = [];
    let refused = 0;
    for (let i = 0; i < 30; i++) {
      const ws = new WebSocket(server.url);
      sockets.push(ws);
      answers.push(
        new Promise((resolve) => {
          ws.once('open', () => resolve('open'));
          ws.once('unexpected-response', (_q, response) => {
            refused++;
            resolve(response.statusCode ?? 0);
          });
          ws.once('error', () => resolve(-1));
        }),
      );
    }
    // Every upgrade has been either refused or is waiting in authenticate.
    await waitFor(() => calls + refused === 30, 'every upgrade to be refused or authenticating');
    release();
    const results = await Promise.all(answers);
    expect(results.filter((r) => r === 'open')).toHaveLength(5);
    expect(results.filter((r) => r === 503)).toHaveLength(25);
    expect(server.activeConnections).toBe(5);
    for (const ws of sockets) ws.terminate();
  });
});

describe('item 4: every message with an id gets exactly one terminal frame with it', () => {
  it('30 messages at once with the default rate limit: each id answered once (rate_limited ones too)', async () => {
    const server = await startServer();
    const client = await TestClient.connect(server.url);
    const ids = Array.from({ length: 30 }, (_, i) => `m${i}`);
    for (const id of ids) client.ask('hello', id);
    const terminal = (f: ServerFrame) => f.type === 'result' || f.type === 'error';
    await waitFor(() => client.frames.filter(terminal).length >= 30, '30 terminal frames', 20_000);
    const ends = client.frames.filter(terminal) as Array<ServerFrame & { id?: string }>;
    expect(ends.map((f) => f.id).sort()).toEqual([...ids].sort());
    const codes = ends.filter((f): f is ErrorFrame => f.type === 'error').map((f) => f.code);
    // The default burst is 20: the rest are refused (fewer if tokens refilled meanwhile), with their ids.
    expect(codes.filter((c) => c === 'rate_limited').length).toBeGreaterThan(0);
  });
});

describe('item 6: authenticate is bounded, and close() does not wait for it', () => {
  it('an authenticate that never answers is refused with 503 after authenticateTimeoutMs', async () => {
    const errors: unknown[] = [];
    const server = await startServer({
      authenticate: () => new Promise<boolean>(() => undefined),
      authenticateTimeoutMs: 200,
      onError: (error) => errors.push(error),
    });
    expect(await rawUpgrade(server.port, '/', 10_000)).toEqual({ status: 503 });
    expect(String(errors[0])).toContain('authenticateTimeoutMs');
  });

  it('server.close() resolves while an authenticate call hangs, and refuses that upgrade with 503', async () => {
    let calls = 0;
    const server = await startServer({
      authenticate: () => {
        calls++;
        return new Promise<boolean>(() => undefined);
      },
      authenticateTimeoutMs: 600_000,
    });
    const answer = rawUpgrade(server.port, '/', 10_000);
    await waitFor(() => calls === 1, 'authenticate to be called');
    const closed = await Promise.race([server.close().then(() => 'closed'), sentinel(10_000, 'still open')]);
    expect(closed).toBe('closed');
    expect(await answer).toEqual({ status: 503 });
  });
});

describe('item 7: an upgrade on a path the server does not serve is answered', () => {
  it('attached to an app server at /ws (as the demo is): an upgrade at / gets 404, not silence', async () => {
    const { http, port } = await pageServer();
    try {
      const server = await startServer({ server: http, path: '/ws' });
      expect(await rawUpgrade(port, '/', 5_000)).toEqual({ status: 404 });
      expect(await rawUpgrade(port, '/ws', 5_000)).toBe('upgraded');
      await server.close();
    } finally {
      http.close();
    }
  });

  it('attached beside another upgrade listener: paths that are not ours are left to it', async () => {
    const { http, port } = await pageServer();
    try {
      await startServer({ server: http, path: '/ws' });
      http.on('upgrade', (request, socket) => {
        if (request.url === '/other') socket.end('HTTP/1.1 418 Teapot\r\nContent-Length: 0\r\n\r\n');
      });
      expect(await rawUpgrade(port, '/other', 5_000)).toEqual({ status: 418 });
    } finally {
      http.closeAllConnections();
      http.close();
    }
  });

  it('on its own server with a path: another path gets 404', async () => {
    const server = await startServer({ path: '/agent' });
    expect(await rawUpgrade(server.port, '/', 5_000)).toEqual({ status: 404 });
  });

  it('targets that are no URL (`//`, `http://[`) or only look like the path get 4xx, and the server lives on', async () => {
    // `new URL('//', base)` throws: parsed that way, one request took the whole process down.
    const server = await startServer({ path: '/agent' });
    for (const target of ['//', '//evil.example/agent', '/agent/extra', '///agent'])
      expect(await rawUpgrade(server.port, target, 5_000)).toEqual({ status: 404 });
    // Not a path at all: 400.
    expect(await rawUpgrade(server.port, 'http://[', 5_000)).toEqual({ status: 400 });
    expect(await rawUpgrade(server.port, '/agent?x=1', 5_000)).toBe('upgraded');
    const client = await TestClient.connect(server.url);
    expect(textOfTurn(await client.turn('hello')).length).toBeGreaterThan(0);
  });
});

describe('item 8: sockets that never finish a request are closed, and do not count as connections', () => {
  it('silent, request-line-only and partial-header sockets are closed after headersTimeoutMs', async () => {
    const server = await startServer({ headersTimeoutMs: 300, requestTimeoutMs: 600, maxConnections: 1 });
    const sockets = await Promise.all([
      quietSocket(server.port),
      quietSocket(server.port, 'GET / HTTP/1.1\r\n'),
      quietSocket(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websoc'),
    ]);
    const closed = sockets.map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())));
    // They are not connections: the one slot is still free.
    const client = await TestClient.connect(server.url);
    expect(server.activeConnections).toBe(1);
    await Promise.all(closed);
    expect(sockets.every((s) => s.destroyed)).toBe(true);
    await client.close();
  });
});

describe('item 10: smaller ones', () => {
  it('a closed connection frees its maxConnections slot when its socket closes', async () => {
    const server = await startServer({ maxConnections: 1, createLLM: hangingLLM });
    const first = await TestClient.connect(server.url);
    first.ask('hello');
    await first.waitFor((f) => f.type === 'delta');
    await first.close();
    // Its session may still be closing; the slot is free already.
    const second = await TestClient.connect(server.url);
    expect(second.frames[0]?.type).toBe('ready');
    await second.close();
  });

  it("onError(error, 'model') receives an Error whose message says what failed", async () => {
    const seen: Array<{ error: unknown; where: string }> = [];
    const server = await startServer({
      createLLM: () => new FailingLLM('throw'),
      onError: (error, where) => seen.push({ error, where }),
    });
    const client = await TestClient.connect(server.url);
    await client.turn('fail');
    const model = seen.find((e) => e.where === 'model');
    expect(model?.error).toBeInstanceOf(Error);
    expect(String(model?.error)).toContain('model exploded');
    expect(String(model?.error)).not.toContain('[object Object]');
  });

  it('during shutdown a reconnect gets 503, as documented (attached server)', async () => {
    const { http, port } = await pageServer();
    try {
      const server = await startServer({ server: http, path: '/ws', createLLM: hangingLLM });
      const client = await TestClient.connect(server.url);
      client.ask('hello');
      await client.waitFor((f) => f.type === 'delta');
      const closing = server.close();
      expect(await rawUpgrade(port, '/ws', 5_000)).toEqual({ status: 503 });
      await closing;
    } finally {
      http.close();
    }
  });
});
