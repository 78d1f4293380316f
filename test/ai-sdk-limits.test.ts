import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CHAT_ERRORS } from '../src/ai-sdk/index.js';
import {
  AI_SDK_SKIP_REASON,
  aiSdkUnsupported,
  rawClient,
  sendFrame,
  startChatServer,
  userMessage,
} from './helpers/ai-sdk.js';
import { waitFor } from './helpers/await.js';
import { quietSocket, rawUpgrade } from './helpers/raw-http.js';

const UPGRADE = (port: number) =>
  `GET /api/chat/ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

async function openSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

describe.skipIf(aiSdkUnsupported)(
  `the AI SDK WebSocket has the protocol socket's heartbeat and connection limit (${aiSdkUnsupported ? AI_SDK_SKIP_REASON : 'Node >= 22'})`,
  () => {
    it('a peer that never answers a ping is dropped; a live one stays', async () => {
      const server = await startChatServer({ heartbeatIntervalMs: 50 });
      const { port } = server.http.address() as AddressInfo;
      // Upgraded by hand, then silent: it reads but never answers a ping (a dead peer).
      const dead = await quietSocket(port, UPGRADE(port));
      const deadClosed = new Promise<void>((resolve) => dead.once('close', () => resolve()));
      const live = await openSocket(server.wsUrl);
      let pings = 0;
      live.on('ping', () => pings++);
      await deadClosed;
      // The live socket (ws answers pings itself) was pinged and is still open.
      await waitFor(() => pings >= 2, 'the live socket to be pinged twice');
      expect(live.readyState).toBe(WebSocket.OPEN);
      live.close();
    });

    it('maxConnections: the extra upgrade gets 503; a freed slot is taken again', async () => {
      const server = await startChatServer({ maxConnections: 2 });
      const { port } = server.http.address() as AddressInfo;
      const a = await openSocket(server.wsUrl);
      const b = await openSocket(server.wsUrl);
      expect(await rawUpgrade(port, '/api/chat/ws')).toEqual({ status: 503 });
      const aClosed = new Promise((resolve) => a.once('close', resolve));
      a.close();
      await aClosed;
      // The server sees the close a moment after the client: ask until the slot is free.
      let answer = await rawUpgrade(port, '/api/chat/ws');
      for (let i = 0; i < 100 && answer !== 'upgraded'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        answer = await rawUpgrade(port, '/api/chat/ws');
      }
      expect(answer).toBe('upgraded');
      b.close();
    });

    it('an authorize that never answers is refused after authenticateTimeoutMs, on HTTP and the WebSocket', async () => {
      const server = await startChatServer({
        authorize: () => new Promise<boolean>(() => undefined),
        authenticateTimeoutMs: 100,
      });
      const response = await fetch(server.api, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'c', trigger: 'submit-message', messages: [userMessage('u', 'hello')] }),
      });
      expect(response.status).toBe(403);
      expect(await response.text()).toBe(CHAT_ERRORS.forbidden);
      const client = await rawClient(server.wsUrl);
      client.send(sendFrame('r', 'c', [userMessage('u', 'hello')]));
      await waitFor(() => client.of('r').length > 0, 'an answer');
      expect(client.of('r')).toEqual([{ type: 'error', requestId: 'r', errorText: CHAT_ERRORS.forbidden }]);
      expect(server.errors.map((e) => e.where)).toEqual(['authorize', 'authorize']);
      client.ws.close();
    });

    it('options are the WebSocket server’s, checked the same way', async () => {
      await expect(startChatServer({ maxConnections: 0 })).rejects.toThrow(
        /createAISDKChats: option `maxConnections` must be a whole number >= 1; received 0/,
      );
      await expect(startChatServer({ heartbeatIntervalMs: 'x' as never })).rejects.toThrow(TypeError);
    });
  },
);
