/**
 * The part of the WebSocket API the client uses: met by the browser's WebSocket, by Node 22's
 * global one, and by the `ws` package's class on Node 20.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
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
