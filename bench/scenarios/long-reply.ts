import { type ChildProcess, spawn } from 'node:child_process';
import { WebSocket } from 'ws';
import type { Row } from '../report.js';
import { percentile } from '../stats.js';

/**
 * L. One very long reply (issue 9, item 3): bytes on the wire and a neighbour's latency.
 * The server runs in its own process; a "long" client asks for `chunks` chunks of `size` chars
 * while a neighbour on the same server asks for short replies back to back, timing each turn.
 * Contestants, same run: the neighbour alone (baseline); the long reply to our client (it connects
 * with `?accumulated=0`, as StreamingAgentClient does); to a seed-style client (reads `accumulated`
 * on every delta) with default options; and to that client under the old default (`accumulated` on
 * every frame, no merging), cut off after `capMs` because it does not finish in any useful time.
 */
export async function longReply(chunks: number, size: number, capMs: number): Promise<Row[]> {
  const scenario = `L. one ${chunks.toLocaleString('en-US')}-chunk reply (${size} chars each) beside a neighbour`;
  const text = chunks * size;
  const rows: Row[] = [];
  const alone = await withServer(chunks, size, 'default', (url) => neighbourDuring(url, undefined, capMs));
  const baseline = percentile(alone.latencies, 99);
  rows.push({
    scenario,
    contestant: 'neighbour alone (baseline)',
    metric: 'neighbour turn p99',
    unit: 'ms',
    value: baseline,
    note: `${alone.latencies.length} short turns`,
  });
  const cases: Array<[string, 'default' | 'off', string]> = [
    ['our client, default options', 'default', '?accumulated=0'],
    ['seed-style client, default options', 'default', ''],
    ['seed-style client, old default (no merging)', 'off', ''],
  ];
  for (const [name, budget, query] of cases) {
    const run = await withServer(chunks, size, budget, (url) =>
      neighbourDuring(url, `${url}/${query}`, capMs),
    );
    const p99 = percentile(run.latencies, 99);
    const long = run.long!;
    const finished = long.textChars === text;
    rows.push({
      scenario,
      contestant: name,
      metric: 'bytes on the wire',
      unit: 'MB',
      value: long.bytes / 1e6,
      ratio: long.bytes / Math.max(1, long.textChars),
      baseline: 'the text it delivered',
      note: finished
        ? `whole reply in ${(long.ms / 1000).toFixed(1)} s, ${long.frames.toLocaleString('en-US')} frames`
        : `cut off after ${(capMs / 1000).toFixed(0)} s with ${((100 * long.textChars) / text).toFixed(1)}% of the text delivered`,
    });
    rows.push({
      scenario,
      contestant: name,
      metric: 'neighbour turn p99',
      unit: 'ms',
      value: p99,
      ratio: p99 / baseline,
      baseline: 'neighbour alone',
      bar: '≤ 1.2× (issue 9)',
      pass: p99 / baseline <= 1.2,
      note: `${run.latencies.length} short turns`,
    });
  }
  return rows;
}

interface LongResult {
  bytes: number;
  frames: number;
  textChars: number;
  ms: number;
}

async function withServer<T>(
  chunks: number,
  size: number,
  budget: 'default' | 'off',
  run: (url: string) => Promise<T>,
): Promise<T> {
  const script = new URL('../long-reply/server.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(chunks), String(size), budget], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        const line = /ws:\/\/\S+/.exec(out);
        if (line) resolve(line[0]);
      });
      child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    });
    return await run(url);
  } finally {
    await stop(child);
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}

/**
 * The neighbour's short turns, back to back, for as long as the long reply runs (or `capMs` when
 * there is none). The long client counts bytes and text without parsing `accumulated`.
 */
async function neighbourDuring(
  url: string,
  longUrl: string | undefined,
  capMs: number,
): Promise<{ latencies: number[]; long?: LongResult }> {
  const neighbour = await open(url);
  // Warm-up: the first turns pay for JIT and the session's first run.
  for (let i = 0; i < 5; i++) await shortTurn(neighbour);
  let longDone: Promise<LongResult> | undefined;
  let longSocket: WebSocket | undefined;
  if (longUrl !== undefined) {
    longSocket = await open(longUrl);
    longDone = longTurn(longSocket, capMs);
  }
  const latencies: number[] = [];
  const started = performance.now();
  let finished = false;
  void longDone?.then(() => {
    finished = true;
  });
  while (longDone ? !finished : performance.now() - started < Math.min(capMs, 10_000)) {
    latencies.push(await shortTurn(neighbour));
  }
  const long = await longDone;
  neighbour.close();
  longSocket?.terminate();
  return long === undefined ? { latencies } : { latencies, long };
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('message', () => resolve(ws));
    ws.once('error', reject);
  });
}

function shortTurn(ws: WebSocket): Promise<number> {
  const start = performance.now();
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const type = JSON.parse(data.toString()).type;
      if (type === 'result' || type === 'error') {
        ws.off('message', onMessage);
        resolve(performance.now() - start);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ message: 'short' }));
  });
}

function longTurn(ws: WebSocket, capMs: number): Promise<LongResult> {
  const start = performance.now();
  let bytes = 0;
  let frames = 0;
  let textChars = 0;
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(cap);
      ws.off('message', onMessage);
      resolve({ bytes, frames, textChars, ms: performance.now() - start });
    };
    const cap = setTimeout(finish, capMs);
    const onMessage = (data: Buffer) => {
      bytes += data.length;
      frames++;
      // Only the small frames are parsed; a delta's text length is read without parsing
      // `accumulated` (which can be megabytes).
      const head = data.subarray(0, 64).toString();
      if (head.startsWith('{"type":"delta","delta":"')) {
        const end = data.indexOf('"', 25);
        textChars += end - 25;
      } else if (head.includes('"type":"result"') || head.includes('"type":"error"')) finish();
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ message: 'long' }));
  });
}
