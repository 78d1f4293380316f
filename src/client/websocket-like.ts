/**
 * A handler slot the client assigns to. Declared with method syntax on purpose: TypeScript checks
 * method parameters bivariantly, so a socket class whose handlers take its own richer event type
 * (`ws`'s `WebSocket.MessageEvent`, the DOM's `MessageEvent`, undici's) still fits under `strict`,
 * while the client's handler reads only the fields named here. With a plain function type the
 * parameters are checked contravariantly and `ws`'s class is refused (TS2322 on `onopen`).
 */
type Handler<Event> = { bivarianceHack(event: Event): void }['bivarianceHack'] | null;

/**
 * The part of the WebSocket API the client uses: met by the browser's WebSocket, by Node 22's
 * global one (undici), and by the `ws` package's class on Node 20.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown>;
  onmessage: Handler<{ data: unknown }>;
  onclose: Handler<{ code: number; reason: string }>;
  onerror: Handler<unknown>;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export const OPEN = 1;

export function defaultWebSocket(): WebSocketConstructor {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global === undefined) {
    throw new Error(
      'StreamingAgentClient: this runtime has no global WebSocket (Node 20). ' +
        "Pass one: new StreamingAgentClient(url, { WebSocket }) with `import { WebSocket } from 'ws'`.",
    );
  }
  return global;
}
