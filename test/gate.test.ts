import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startChatServer, userMessage } from './helpers/ai-sdk.js';
import { rawRequest } from './helpers/raw-http.js';
import { startServer } from './helpers/server.js';
import { TestClient, textOfTurn } from './helpers/ws-client.js';

/**
 * Targets a hostile client can send that `new URL(target, base)` throws on (`//`, `http://[`) or
 * misreads (`//x/api/chat` reads `x` as a host and `/api/chat` as the path). Parsed that way in a
 * request or `upgrade` listener, one of them ended the process with an uncaught ERR_INVALID_URL.
 */
const TARGETS = [
  '//',
  '//x/api/chat',
  '//x/api/chat/ws',
  'http://127.0.0.1/api/chat',
  'http://[',
  '/api/chat/%zz/stream',
];

function is4xx(answer: Awaited<ReturnType<typeof rawRequest>>): boolean {
  return typeof answer === 'object' && answer.status >= 400 && answer.status < 500;
}

describe('the gate: request targets never throw, every front end answers 4xx and lives on', () => {
  it("the README's AI SDK server (handler + attachWebSocket on one node:http server)", async () => {
    const server = await startChatServer();
    const { port } = server.http.address() as AddressInfo;
    for (const target of TARGETS) {
      for (const upgrade of [false, true]) {
        const answer = await rawRequest(port, target, { upgrade });
        expect({ target, upgrade, ok: is4xx(answer), answer }).toMatchObject({ ok: true });
      }
    }
    // Not a path at all: 400 from the package itself, plain or upgrade.
    expect(await rawRequest(port, 'http://127.0.0.1/api/chat')).toEqual({ status: 400 });
    expect(await rawRequest(port, 'http://[', { upgrade: true })).toEqual({ status: 400 });
    // The process still serves a chat.
    const response = await fetch(server.api, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'after-gate',
        messages: [userMessage('u1', 'hello')],
        trigger: 'submit-message',
      }),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('data: [DONE]');
    expect(server.errors).toEqual([]);
  });

  it('the WebSocket server (its own listener, and a path)', async () => {
    for (const path of [undefined, '/agent']) {
      const server = await startServer({ path });
      for (const target of TARGETS) {
        for (const upgrade of [false, true]) {
          const answer = await rawRequest(server.port, target, { upgrade });
          // With no `path` the server takes an upgrade on any path, `//` included.
          const served = path === undefined && upgrade && target.startsWith('/') && answer === 'upgraded';
          expect({ path, target, upgrade, ok: is4xx(answer) || served, answer }).toMatchObject({ ok: true });
        }
      }
      expect(await rawRequest(server.port, 'http://127.0.0.1/agent', { upgrade: true })).toEqual({
        status: 400,
      });
      const client = await TestClient.connect(server.url);
      expect(textOfTurn(await client.turn('hello')).length).toBeGreaterThan(0);
      client.close();
    }
  });
});
