import type { IncomingMessage, ServerResponse } from 'node:http';
import { safeValidateUIMessages, type UIMessage } from 'ai';
import { BAD_TARGET, decodeSegment, parseTarget, refuseRequest } from '../gate/index.js';
import { tickCork } from '../session/tick-cork.js';
import { CHAT_ERRORS, type ChatRegistry } from './chat-registry.js';
import type { ChatTurn, ChatTurns } from './chat-turns.js';
import type { ResolvedChatOptions } from './options.js';

/** The AI SDK's UI message stream headers (`UI_MESSAGE_STREAM_HEADERS` in `ai`, not exported). */
export const UI_MESSAGE_STREAM_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-vercel-ai-ui-message-stream': 'v1',
  'x-accel-buffering': 'no',
} as const;

/** Bytes queued on a response before a stream stops writing and waits for `drain`. */
const HIGH_WATER_MARK = 64 * 1024;

export interface ChatRequestHandlerOptions {
  /** Where `DefaultChatTransport` posts (its `api`). Default `/api/chat`. */
  api?: string;
}

/**
 * Handles the AI SDK's `DefaultChatTransport` requests; returns false (and leaves the response
 * alone) for any other request:
 * - `POST <api>`: answers the last message as a UI message stream (Server-Sent Events).
 * - `GET <api>/:id/stream`: replays the chat's running turn from its start, then live; 204 if none.
 * - `POST <api>/:id/stop`: stops the chat's running turn (the agent stops); 204, or 404 if none.
 *   `useChat`'s `stop()` only closes its request, which the server treats as a client leaving.
 */
export type ChatRequestHandler = (request: IncomingMessage, response: ServerResponse) => boolean;

export function createChatRequestHandler(
  chats: ChatRegistry,
  options: ResolvedChatOptions,
  { api = '/api/chat' }: ChatRequestHandlerOptions = {},
): ChatRequestHandler {
  const base = api.endsWith('/') ? api.slice(0, -1) : api;
  return (request, response) => {
    const target = parseTarget(request.url);
    if (target === undefined) {
      // Not a path (absolute-form, `*`): no route of any handler can match it.
      refuseRequest(response, BAD_TARGET[0], 'the request target must be a path');
      return true;
    }
    const { path } = target;
    if (request.method === 'POST' && path === base) {
      void post(request, response).catch((error) => fail(response, error));
      return true;
    }
    if (!path.startsWith(`${base}/`)) return false;
    const rest = path.slice(base.length + 1).split('/');
    if (rest.length !== 2 || rest[0] === '') return false;
    const chatId = decodeSegment(rest[0]!);
    if (chatId === undefined) return false;
    if (request.method === 'GET' && rest[1] === 'stream') {
      void resume(request, response, chatId).catch((error) => fail(response, error));
      return true;
    }
    if (request.method === 'POST' && rest[1] === 'stop') {
      void stop(request, response, chatId).catch((error) => fail(response, error));
      return true;
    }
    return false;
  };

  function fail(response: ServerResponse, error: unknown): void {
    options.onError(error, 'http request');
    if (!response.headersSent) answer(response, 500, 'internal error');
    else response.destroy();
  }

  async function post(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readJson(request, options.maxPayload);
    if (!body.ok) return answer(response, body.status, body.errorText);
    const value = body.value as { id?: unknown; trigger?: unknown; messages?: unknown };
    if (typeof value?.id !== 'string' || value.id === '')
      return answer(response, 400, '`id` must be a chat id');
    const checked = await safeValidateUIMessages({ messages: value.messages });
    if (!checked.success) return answer(response, 400, `invalid messages: ${checked.error.message}`);
    if (!(await chats.authorize(request, value.id))) return answer(response, 403, CHAT_ERRORS.forbidden);
    const started = await chats.start(
      request,
      value.id,
      typeof value.trigger === 'string' ? value.trigger : 'submit-message',
      checked.data as UIMessage[],
    );
    if (!started.ok) return answer(response, started.status, started.errorText);
    streamSse(response, chats.turns, started.turn);
  }

  async function resume(request: IncomingMessage, response: ServerResponse, chatId: string): Promise<void> {
    if (!(await chats.authorize(request, chatId))) return answer(response, 403, CHAT_ERRORS.forbidden);
    const turn = await chats.resumable(chatId);
    if (turn === undefined) {
      response.writeHead(204).end();
      return;
    }
    streamSse(response, chats.turns, turn);
  }

  async function stop(request: IncomingMessage, response: ServerResponse, chatId: string): Promise<void> {
    if (!(await chats.authorize(request, chatId))) return answer(response, 403, CHAT_ERRORS.forbidden);
    if (chats.stop(chatId)) response.writeHead(204).end();
    else answer(response, 404, 'nothing to stop in this chat');
  }
}

const answer = refuseRequest;

/** Writes the turn as SSE from its first chunk: `data: <json>` per chunk, `data: [DONE]` at the end. */
export function streamSse(response: ServerResponse, turns: ChatTurns, turn: ChatTurn): void {
  response.writeHead(200, UI_MESSAGE_STREAM_HEADERS);
  response.flushHeaders();
  // A tick's chunks leave in one write, as the WebSocket senders' frames do.
  const holdForTick = tickCork(response);
  let open = true;
  // A client that leaves stops only its own stream: the turn goes on, the chat stays for a resume.
  response.once('close', () => {
    open = false;
    stopFollowing();
  });
  const stopFollowing = turns.follow(turn, {
    write: (chunk) => {
      holdForTick();
      response.write(`data: ${JSON.stringify(chunk)}\n\n`);
    },
    end: () => {
      holdForTick();
      response.end('data: [DONE]\n\n');
    },
    isOpen: () => open && !response.destroyed,
    isBehind: () => response.writableLength > HIGH_WATER_MARK,
    whenDrained: (resume) => {
      const done = () => {
        response.off('drain', done);
        response.off('close', done);
        resume();
      };
      response.once('drain', done);
      response.once('close', done);
    },
  });
}

type Body = { ok: true; value: unknown } | { ok: false; status: number; errorText: string };

function readJson(request: IncomingMessage, limit: number): Promise<Body> {
  // A framework (express.json(), Fastify) may have read the body already.
  const parsed = (request as { body?: unknown }).body;
  if (parsed !== undefined && typeof parsed === 'object') return Promise.resolve({ ok: true, value: parsed });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      // Past the limit the rest is read and dropped, so the socket can still carry the 413.
      else chunks.push(chunk);
    });
    request.once('error', () => resolve({ ok: false, status: 400, errorText: 'the request failed' }));
    request.once('end', () => {
      if (tooLarge) {
        resolve({
          ok: false,
          status: 413,
          errorText: `request body larger than maxPayload (${limit} bytes)`,
        });
        return;
      }
      try {
        resolve({ ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      } catch {
        resolve({ ok: false, status: 400, errorText: 'the body is not valid JSON' });
      }
    });
  });
}
