import { type ChildProcess, fork } from 'node:child_process';
import { WebSocket } from 'ws';
import type { Row } from '../report.js';
import { judgeRatio, median, percentile, perRoundRatios } from '../stats.js';

const root = new URL('../..', import.meta.url).pathname;

interface ServerHandle {
  url: string;
  replyLength: number;
  request<T>(message: string): Promise<T>;
}

async function startServerProcess(chunks: number): Promise<{ handle: ServerHandle; child: ChildProcess }> {
  const child = fork(`${root}bench/server-process.ts`, [String(chunks), 'false'], {
    execArgv: [
      '--expose-gc',
      '--import',
      'tsx',
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof-server'] : []),
    ],
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ url: string; reply: number }>((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`server process exited (${code})`)));
  });
  const handle: ServerHandle = {
    url: ready.url,
    replyLength: ready.reply,
    request: <T>(message: string) =>
      new Promise<T>((resolve) => {
        child.once('message', (m) => resolve(m as T));
        child.send(message);
      }),
  };
  return { handle, child };
}

async function stopServerProcess(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send('close');
  await exited;
}

interface ClientResult {
  firstDelta: number;
  turn: number;
  text: string;
  errors: number;
}

/** A client that connects, asks once, and records when the first delta and the result arrive. */
function openClient(url: string, readSlowly = false) {
  const socket = new WebSocket(url);
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => {
    resolveReady = r;
  });
  let ask!: () => Promise<ClientResult>;
  let toggler: NodeJS.Timeout | undefined;
  const done = new Promise<ClientResult>((resolve, reject) => {
    let sentAt = 0;
    let firstDelta = 0;
    let text = '';
    let errors = 0;
    socket.on('error', reject);
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; delta?: string };
      if (frame.type === 'ready') resolveReady();
      else if (frame.type === 'delta') {
        if (firstDelta === 0) firstDelta = performance.now() - sentAt;
        text += frame.delta;
      } else if (frame.type === 'error' || frame.type === 'result') {
        if (frame.type === 'error') errors++;
        clearInterval(toggler);
        socket.resume();
        resolve({ firstDelta, turn: performance.now() - sentAt, text, errors });
      }
    });
    ask = () => {
      sentAt = performance.now();
      socket.send(JSON.stringify({ message: 'go' }));
      if (readSlowly) {
        // A tenth of the speed: read for 10 ms out of every 100.
        socket.pause();
        let tick = 0;
        toggler = setInterval(() => {
          tick = (tick + 1) % 10;
          if (tick === 0) socket.resume();
          else if (tick === 1) socket.pause();
        }, 10);
      }
      return done;
    };
  });
  return { socket, ready, ask: () => ask() };
}

/** 6. Many clients at once, each streaming a long reply at full speed. */
export async function fanout(connections: number, chunks: number): Promise<Row[]> {
  const { handle, child } = await startServerProcess(chunks);
  try {
    await handle.request('reset');
    const clients = Array.from({ length: connections }, () => openClient(handle.url));
    await Promise.all(clients.map((c) => c.ready));
    const afterConnect = await handle.request<{ rss: number }>('report');
    const start = performance.now();
    const results = await Promise.all(clients.map((c) => c.ask()));
    const total = performance.now() - start;
    const report = await handle.request<{ peakRss: number }>('report');
    for (const c of clients) c.socket.close();
    const expected = 'abc'.repeat(chunks);
    const wrong = results.filter((r) => r.text !== expected).length;
    const errors = results.reduce((n, r) => n + r.errors, 0);
    const scenario = `6. fan-out: ${connections} connections × ${chunks.toLocaleString('en-US')}-delta reply`;
    const perConnection = report.peakRss / connections / 2 ** 20;
    return [
      { scenario, contestant: 'server', metric: 'all turns done', unit: 'ms', value: total },
      {
        scenario,
        contestant: 'server',
        metric: 'deltas delivered',
        unit: 'deltas/s',
        value: (connections * chunks) / (total / 1000),
      },
      {
        scenario,
        contestant: 'server',
        metric: 'time to first delta p99',
        unit: 'ms',
        value: percentile(
          results.map((r) => r.firstDelta),
          99,
        ),
      },
      {
        scenario,
        contestant: 'server',
        metric: 'turn time p50 / p99',
        unit: 'ms',
        value: percentile(
          results.map((r) => r.turn),
          99,
        ),
        note: `turn p50 ${median(results.map((r) => r.turn)).toFixed(0)} ms; server RSS with ${connections} idle sessions ${(afterConnect.rss / 2 ** 20).toFixed(0)} MB`,
      },
      {
        scenario,
        contestant: 'server',
        metric: 'peak RSS per connection',
        unit: 'MB',
        value: perConnection,
        bar: 'no errors, every reply intact, RSS bounded',
        pass: errors === 0 && wrong === 0,
        note: `peak RSS ${(report.peakRss / 2 ** 20).toFixed(0)} MB for ${connections} sessions; ${errors} error frames; ${wrong} replies not byte-identical`,
      },
    ];
  } finally {
    await stopServerProcess(child);
  }
}

/** 7. Fast clients with and without one client that reads at a tenth of the speed. */
export async function slowClientAmongFast(
  fastClients: number,
  chunks: number,
  rounds: number,
): Promise<Row[]> {
  const { handle, child } = await startServerProcess(chunks);
  const expected = 'abc'.repeat(chunks);
  try {
    const runOnce = async (withSlow: boolean) => {
      await handle.request('reset');
      const fast = Array.from({ length: fastClients }, () => openClient(handle.url));
      const slow = withSlow ? openClient(handle.url, true) : undefined;
      await Promise.all([...fast, ...(slow ? [slow] : [])].map((c) => c.ready));
      const slowDone = slow?.ask();
      const results = await Promise.all(fast.map((c) => c.ask()));
      const slowResult = await slowDone;
      const report = await handle.request<{ peakRss: number }>('report');
      for (const c of [...fast, ...(slow ? [slow] : [])]) c.socket.close();
      return {
        p99: percentile(
          results.map((r) => r.turn),
          99,
        ),
        intact: results.every((r) => r.text === expected) && (slowResult?.text ?? expected) === expected,
        slowTurn: slowResult?.turn ?? 0,
        peakRss: report.peakRss,
      };
    };
    const without: Awaited<ReturnType<typeof runOnce>>[] = [];
    const withSlow: Awaited<ReturnType<typeof runOnce>>[] = [];
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        without.push(await runOnce(false));
        withSlow.push(await runOnce(true));
      } else {
        withSlow.push(await runOnce(true));
        without.push(await runOnce(false));
      }
    }
    const base = median(without.map((r) => r.p99));
    const slowed = median(withSlow.map((r) => r.p99));
    const slowdown = judgeRatio(
      perRoundRatios(
        withSlow.map((r) => r.p99),
        without.map((r) => r.p99),
      ),
      { atMost: 1.2 },
    );
    const scenario = `7. ${fastClients} fast clients + 1 reading at 1/10 speed, ${chunks.toLocaleString('en-US')}-delta replies`;
    return [
      { scenario, contestant: 'fast clients, alone', metric: 'turn time p99', unit: 'ms', value: base },
      {
        scenario,
        contestant: 'fast clients, with the slow one',
        metric: 'turn time p99',
        unit: 'ms',
        value: slowed,
        ratio: slowed / base,
        baseline: 'alone',
        spread: slowdown.spread,
        bar: '≤ 1.2× alone',
        verdict: slowdown.verdict,
        ...(slowdown.settle ? { note: slowdown.settle } : {}),
      },
      {
        scenario,
        contestant: 'slow client',
        metric: 'server peak RSS, with vs without it',
        unit: 'MB',
        value: (median(withSlow.map((r) => r.peakRss)) - median(without.map((r) => r.peakRss))) / 2 ** 20,
        bar: 'bounded, and it receives all text',
        pass: withSlow.every((r) => r.intact),
        note: `the slow client's turn took ${median(withSlow.map((r) => r.slowTurn)).toFixed(0)} ms; every reply, the slow one's included, arrived byte-identical: ${withSlow.every((r) => r.intact)}`,
      },
    ];
  } finally {
    await stopServerProcess(child);
  }
}
