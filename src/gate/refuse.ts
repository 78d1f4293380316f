import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Answers an upgrade request with a plain HTTP error and drops the socket (what `ws` calls
 * `abortHandshake`): the one refusal of every upgrade the package turns down.
 */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
        `Content-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`,
    );
  }
  socket.destroy();
}

/** Answers a plain HTTP request with a status and a short text. */
export function refuseRequest(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}

export const BAD_TARGET = [400, 'Bad Request'] as const;
export const NOT_FOUND = [404, 'Not Found'] as const;
export const FORBIDDEN = [403, 'Forbidden'] as const;
export const SERVICE_UNAVAILABLE = [503, 'Service Unavailable'] as const;
