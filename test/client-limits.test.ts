import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  type ClientStatus,
  StreamingAgentClient,
  type StreamingAgentClientOptions,
  StreamingClientError,
} from '../src/client/index.js';
import { waitFor } from './helpers/await.js';
import { startResumingServer } from './helpers/server.js';
import { collect } from './helpers/session.js';

/** Over the server's default 64 KiB `maxPayload`, as a pasted document would be. */
const LONG = 'x'.repeat(70_000);

const onmessage = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage')!;

/** The client's `onmessage` sees `ready` without `maxPayload`. */
function hideMaxPayload(socket: WebSocket): void {
  Object.defineProperty(socket, 'onmessage', {
    get: () => onmessage.get!.call(socket),
    set: (listener: ((event: { data: unknown }) => void) | null) =>
      onmessage.set!.call(
        socket,
        listener &&
          ((event: { data: unknown }) => {
            const frame = JSON.parse(String(event.data));
            if (frame.type === 'ready') delete frame.maxPayload;
            listener({ data: JSON.stringify(frame) });
          }),
      ),
  });
}

/**
 * `ws` WebSockets the test can see: every socket the client opened, and every frame it sent.
 * `oldServer` hides `maxPayload` from `ready`, as a server from before the field would send it.
 */
function watchedSockets({ oldServer = false } = {}) {
  const sockets: WebSocket[] = [];
  const sent: string[][] = [];
  class Watched extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
      sent.push([]);
      if (oldServer) hideMaxPayload(this);
    }
    override send(data: string): void {
      sent[sent.length - 1]!.push(data);
      super.send(data);
    }
  }
  return { sockets, sent, WebSocket: Watched as unknown as StreamingAgentClientOptions['WebSocket'] };
}

describe('a message too long for the server', () => {
  it('70,000 characters: send() throws message_too_long and sends nothing; ask() ends with it; no reconnect', async () => {
    const server = await startResumingServer();
    const watched = watchedSockets();
    const client = new StreamingAgentClient(server.url, { WebSocket: watched.WebSocket, reconnect: true });
    const statuses: ClientStatus[] = [];
    client.onStatus = (status) => statuses.push(status);
    await client.connect();

    let thrown: unknown;
    try {
      client.send(LONG);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StreamingClientError);
    expect((thrown as StreamingClientError).code).toBe('message_too_long');
    expect((thrown as StreamingClientError).message).toMatch(
      /too long for the server: 700\d\d bytes as sent, and it accepts at most 65536/,
    );
    expect((thrown as StreamingClientError).id).toBeDefined();

    const asked = await collect(client.ask(LONG));
    expect(asked).toEqual([expect.objectContaining({ type: 'error', code: 'message_too_long' })]);

    // The connection is as it was: the next message is answered on the same socket.
    const frames = await collect(client.ask('remember kiwi'));
    expect(frames.at(-1)?.type).toBe('result');
    expect(watched.sockets).toHaveLength(1);
    expect(watched.sent[0]!.some((frame) => frame.length > 60_000)).toBe(false);
    expect(statuses).toEqual(['connecting', 'open']);
    client.close();
  });

  it('a server that does not announce its limit closes with 1009: the message fails, the resume never resends it', async () => {
    const server = await startResumingServer();
    const watched = watchedSockets({ oldServer: true });
    const client = new StreamingAgentClient(server.url, {
      WebSocket: watched.WebSocket,
      reconnect: { initialDelayMs: 5, maxDelayMs: 50 },
    });
    const errors: StreamingClientError[] = [];
    client.onError = (_message, error) => errors.push(error);
    await client.connect();
    expect((await collect(client.ask('remember fig'))).at(-1)?.type).toBe('result');

    const long = client.ask(LONG);
    const frames = await collect(long);
    expect(frames).toEqual([expect.objectContaining({ type: 'error', code: 'message_too_long' })]);
    expect(frames[0]).toMatchObject({ message: expect.stringMatching(/closed the connection \(1009\)/) });
    await waitFor(() => client.status === 'open', 'the session resumed');

    // The session is the same one, and remembers; the long message went out once, on the first socket.
    const recall = await collect(client.ask('recall'));
    expect(recall.filter((f) => f.type === 'complete').map((f) => (f as { text: string }).text)).toEqual([
      'You asked me to remember fig.',
    ]);
    const longSends = watched.sent.map((frames) => frames.filter((f) => f.length > 60_000).length);
    expect(longSends).toEqual([1, 0]);
    // It learned the limit: the same message is refused here now, not sent.
    expect(() => client.send(LONG)).toThrow(/too long/);
    expect(watched.sockets).toHaveLength(2);
    expect(errors.map((e) => e.code)).toEqual(['message_too_long']); // send() throws, it does not report
    client.close();
  });
});

describe('resumes that keep failing', () => {
  /** A server that gives tokens but ends every resume with 1011 (a store that is gone, say). */
  async function serverThatFailsResumes() {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    let resumes = 0;
    wss.on('connection', (ws, request) => {
      if (request.url?.includes('resume=1')) {
        resumes++;
        ws.once('message', () => ws.close(1011, 'cannot resume'));
        return;
      }
      ws.send(JSON.stringify({ type: 'ready', message: 'ok', token: 'tok' }));
    });
    await new Promise((resolve) => wss.once('listening', resolve));
    return {
      url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
      resumes: () => resumes,
      close: () => new Promise((resolve) => wss.close(resolve)),
    };
  }

  for (const [label, maxFailedResumes, expected] of [
    ['maxFailedResumes: 2', 2, 2],
    ['the default, 3', undefined, 3],
  ] as const) {
    it(`stop after ${label}, with reconnect_failed, and fail the messages waiting`, async () => {
      const server = await serverThatFailsResumes();
      const watched = watchedSockets();
      const client = new StreamingAgentClient(server.url, {
        WebSocket: watched.WebSocket,
        reconnect: { initialDelayMs: 1, maxDelayMs: 5, ...(maxFailedResumes ? { maxFailedResumes } : {}) },
      });
      const errors: StreamingClientError[] = [];
      client.onError = (_message, error) => errors.push(error);
      await client.connect();
      const waiting = client.ask('hello');
      watched.sockets[0]!.terminate();
      const frames = await collect(waiting);
      expect(frames).toEqual([expect.objectContaining({ type: 'error', code: 'connection_lost' })]);
      await waitFor(() => client.status === 'closed', 'the client to stop');
      expect(server.resumes()).toBe(expected);
      expect(watched.sockets).toHaveLength(1 + expected);
      const last = errors.at(-1)!;
      expect(last.code).toBe('reconnect_failed');
      expect(last.message).toMatch(`ended the connection ${expected} times in a row`);
      client.close();
      await server.close();
    });
  }

  it('maxFailedResumes is checked at construction', () => {
    const make = (maxFailedResumes: unknown) => () =>
      new StreamingAgentClient('ws://127.0.0.1:1', {
        WebSocket,
        reconnect: { maxFailedResumes } as { maxFailedResumes: number },
      });
    expect(make('2')).toThrow(TypeError);
    expect(make(0)).toThrow(
      'StreamingAgentClient: reconnect.maxFailedResumes must be a whole number >= 1 (or Infinity), got 0',
    );
    expect(make(1.5)).toThrow(RangeError);
    expect(make(Number.POSITIVE_INFINITY)).not.toThrow();
  });
});
