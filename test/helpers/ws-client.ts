import { WebSocket } from 'ws';
import type { ServerFrame } from '../../src/protocol/frames.js';

/** A real `ws` client that records every frame the server sends. */
export class TestClient {
  readonly frames: ServerFrame[] = [];
  readonly socket: WebSocket;
  closeCode: number | undefined;
  private waiters: Array<() => void> = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}) {
    this.socket = new WebSocket(url, options);
    this.socket.on('message', (data, isBinary) => {
      if (isBinary) throw new Error('server sent a binary frame');
      this.frames.push(JSON.parse(data.toString()) as ServerFrame);
      this.wake();
    });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
      this.socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    this.closed = new Promise((resolve) =>
      this.socket.once('close', (code) => {
        this.closeCode = code;
        this.wake();
        resolve(code);
      }),
    );
    this.opened.catch(() => undefined);
  }

  static async connect(url: string, options?: ConstructorParameters<typeof WebSocket>[2]) {
    const client = new TestClient(url, options);
    await client.opened;
    await client.waitFor((f) => f.type === 'ready');
    return client;
  }

  /** Opens `url` with `?resume=1`, sends the resume frame, and waits for its `ready`. */
  static async resume(url: string, token: string, seq: number): Promise<TestClient> {
    const client = new TestClient(`${url}?resume=1`);
    await client.opened;
    client.send({ type: 'resume', token, seq });
    await client.waitFor((f) => f.type === 'ready');
    return client;
  }

  send(value: unknown): void {
    this.socket.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  ask(message: string, id?: string): void {
    this.send(id === undefined ? { message } : { message, id });
  }

  /** Waits for a frame matching `match` among frames received from `from` on; returns its index. */
  async waitFor(match: (f: ServerFrame) => boolean, from = 0, ms = 15_000): Promise<number> {
    const deadline = Date.now() + ms;
    for (;;) {
      const index = this.frames.findIndex((f, i) => i >= from && match(f));
      if (index >= 0) return index;
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode}) while waiting`);
      if (Date.now() > deadline)
        throw new Error(`timed out; frames: ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends a message and returns the frames of its turn, through its result or error. */
  async turn(message: string, ms = 15_000): Promise<ServerFrame[]> {
    const from = this.frames.length;
    this.ask(message);
    const end = await this.waitFor((f) => f.type === 'result' || f.type === 'error', from, ms);
    return this.frames.slice(from, end + 1);
  }

  close(): Promise<number> {
    this.socket.close();
    return this.closed;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

export function textOfTurn(frames: ServerFrame[], generation?: number): string {
  return frames
    .filter((f) => f.type === 'delta' && (generation === undefined || f.generation === generation))
    .map((f) => (f.type === 'delta' ? f.delta : ''))
    .join('');
}
