import { connect, type Socket } from 'node:net';

export type UpgradeAnswer = { status: number } | 'upgraded' | 'closed' | 'no answer';

/**
 * Writes `request` on a new socket to `port` and reports how the server answered: an HTTP status,
 * a completed upgrade (101), a socket closed without a word, or nothing at all within `waitMs`.
 * `waitMs` only bounds how long "no answer" is waited for; no assertion is about time.
 */
function exchange(port: number, request: string, waitMs: number): Promise<UpgradeAnswer> {
  return new Promise<UpgradeAnswer>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const done = (answer: UpgradeAnswer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done('no answer'), waitMs);
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (match) done(match[1] === '101' ? 'upgraded' : { status: Number(match[1]) });
    });
    socket.on('close', () => done('closed'));
    socket.write(request);
  });
}

/** Sends a WebSocket upgrade request by hand and reports how the server answered (see `exchange`). */
export function rawUpgrade(port: number, path = '/', waitMs = 3_000, headers: Record<string, string> = {}) {
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return exchange(
    port,
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
    waitMs,
  );
}

/** A TCP socket to `port` that writes `send` (maybe nothing) and then stays quiet. */
export function quietSocket(port: number, send = ''): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      if (send) socket.write(send);
      // Read (and ignore) what comes back, so the end of the socket is seen.
      socket.resume();
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

/**
 * Sends `GET <target>` by hand (a target `fetch` would normalise away: `//`, absolute-form, a
 * malformed one), plain or with `Upgrade: websocket`, and reports the status the server answered.
 */
export function rawRequest(
  port: number,
  target: string,
  { upgrade = false, waitMs = 5_000 }: { upgrade?: boolean; waitMs?: number } = {},
): Promise<UpgradeAnswer> {
  if (upgrade) return rawUpgrade(port, target, waitMs);
  return exchange(
    port,
    `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    waitMs,
  );
}
