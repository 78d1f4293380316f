/**
 * `livekit-streaming-text/ai-sdk`: a LiveKit agent behind the AI SDK's `useChat`, over
 * `WebSocketChatTransport` (WebSocket) or `DefaultChatTransport` (HTTP + Server-Sent Events).
 * Requires the optional peers `ai` (and `@ai-sdk/react` on the page).
 */
import type { Server as HttpServer } from 'node:http';
import { ensureFrameworkLogger } from '../session/framework-logger.js';
import { ChatRegistry } from './chat-registry.js';
import { type ChatRequestHandler, type ChatRequestHandlerOptions, createChatRequestHandler } from './http.js';
import { type AISDKChatsOptions, resolveChatOptions } from './options.js';
import { attachChatWebSocket, type ChatWebSocket, type ChatWebSocketOptions } from './websocket.js';

export { CHAT_ERRORS } from './chat-registry.js';
export type { AISDKChatsOptions, ChatSessionContext } from './options.js';

export interface AISDKChats {
  /** Chats with a live AgentSession now. */
  readonly activeChats: number;
  /**
   * Node `(req, res)` handler for `DefaultChatTransport`: `POST <api>`, `GET <api>/:id/stream`,
   * `POST <api>/:id/stop`. Returns false for other requests (answer them yourself).
   */
  handler(options?: ChatRequestHandlerOptions): ChatRequestHandler;
  /** Serves `WebSocketChatTransport` on `server`'s upgrades at `path`; other paths are left alone. */
  attachWebSocket(server: HttpServer, options: ChatWebSocketOptions): ChatWebSocket;
  /** Closes the WebSockets attached here and every chat's session. */
  close(): Promise<void>;
}

/**
 * One AgentSession per AI SDK chat id, shared by the WebSocket and HTTP endpoints. Options are
 * checked here: a wrong type throws `TypeError`, a value out of range `RangeError`.
 */
export function createAISDKChats(userOptions: AISDKChatsOptions): AISDKChats {
  const options = resolveChatOptions(userOptions);
  ensureFrameworkLogger();
  const chats = new ChatRegistry(options);
  const sockets: ChatWebSocket[] = [];
  let closing: Promise<void> | undefined;
  return {
    get activeChats() {
      return chats.size;
    },
    handler: (handlerOptions) => createChatRequestHandler(chats, options, handlerOptions),
    attachWebSocket: (server, socketOptions) => {
      if (typeof socketOptions?.path !== 'string' || !socketOptions.path.startsWith('/')) {
        throw new TypeError(
          `attachWebSocket: \`path\` must be a path starting with "/", got ${socketOptions?.path}`,
        );
      }
      const ws = attachChatWebSocket(server, chats, options, socketOptions);
      sockets.push(ws);
      return ws;
    },
    close: () => {
      closing ??= (async () => {
        await Promise.all(sockets.map((s) => s.close()));
        await chats.close();
      })();
      return closing;
    },
  };
}
