import { WebSocket } from 'ws';
import { CLOSE_CODES } from '../protocol/frames.js';

/** How long a client gets to answer our close frame before its socket is cut. */
const CLOSE_HANDSHAKE_MS = 2_000;

/**
 * Shutdown's goodbye to one socket, the same on every front end: a 1001 close, and the socket cut
 * if the client does not answer it within the handshake time. Resolves once the socket is closed.
 */
export function goAway(ws: WebSocket): Promise<void> {
  return new Promise<void>((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once('close', () => resolve());
    ws.close(CLOSE_CODES.goingAway, 'server shutting down');
    setTimeout(() => ws.terminate(), CLOSE_HANDSHAKE_MS).unref();
  });
}
