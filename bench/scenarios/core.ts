import { setImmediate as immediate } from 'node:timers/promises';
import type { OverflowPolicy } from '../../src/core/events.js';
import { StreamingTextOutput } from '../../src/index.js';
import { PushableOutput } from '../baselines/pushable-output.js';
import { StreamingTextOutput as ReleaseStreamingTextOutput } from '../baselines/release-core/streaming-text-output.js';
import { SeedStreamingTextOutput } from '../baselines/seed-queue.js';
import { SyncCallbackOutput } from '../baselines/sync-callback.js';
import { chunk } from '../chunks.js';
import type { Row } from '../report.js';
import { fmt, interleave, judgeRatio, median, percentile, perRoundRatios } from '../stats.js';

/** The sink surface every contestant offers: what the framework calls. */
interface Sink {
  captureText(text: string): Promise<void>;
  flush(): void;
}
/** A contestant: a sink, and a reader loop that resolves when the generation is read. */
type Contestant = (onEvent: (e: { type: string }) => void) => { sink: Sink; read: Promise<void> };

/** Issue 21: the core's lead over the seed port before it slipped (1.84× in the release's run). */
const SEED_BAR = 1.8;

const drain = async (iterable: AsyncIterable<{ type: string }>, onEvent: (e: { type: string }) => void) => {
  for await (const event of iterable) onEvent(event);
};

const contestants: Record<string, Contestant> = {
  ...Object.fromEntries(
    (['coalesce', 'block', 'error'] as OverflowPolicy[]).map((overflow) => [
      `StreamingTextOutput (${overflow})`,
      ((onEvent) => {
        const sink = new StreamingTextOutput({ overflow });
        return { sink, read: drain(sink, onEvent) };
      }) satisfies Contestant,
    ]),
  ),
  // Our own core as of the release (commit 4385146), kept as source so no build depends on git.
  'our last release': (onEvent) => {
    const sink = new ReleaseStreamingTextOutput();
    return { sink, read: drain(sink, onEvent) };
  },
  'seed port': (onEvent) => {
    const sink = new SeedStreamingTextOutput();
    return { sink, read: drain(sink, onEvent) };
  },
  'it-pushable': (onEvent) => {
    const sink = new PushableOutput();
    return { sink, read: drain(sink.events, onEvent) };
  },
  'sync callback': (onEvent) => ({ sink: new SyncCallbackOutput(onEvent), read: Promise.resolve() }),
};

/** One throughput run: the producer awaits each captureText, one `for await` reader. */
/**
 * Deltas per second of wall time, and per second of this process's CPU time: a run the OS
 * preempts (other work on a busy machine) loses wall time but not CPU time, so the CPU figure
 * compares two builds of one core more steadily than the wall figure does.
 */
interface Throughput {
  wall: number;
  cpu: number;
}

function throughputRun(name: string, make: Contestant, deltas: number): () => Promise<Throughput> {
  return async () => {
    let events = 0;
    const { sink, read } = make(() => {
      events++;
    });
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < deltas; i++) await sink.captureText(chunk(i));
    sink.flush();
    await read;
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    if (events !== deltas + 1) throw new Error(`${name}: read ${events} events, expected ${deltas + 1}`);
    return { wall: deltas / seconds, cpu: deltas / ((cpu.user + cpu.system) / 1e6) };
  };
}

const TODAY = 'StreamingTextOutput (coalesce)';
const RELEASE = 'our last release';

/**
 * The row that guards the core against our own past: today's default policy against the same
 * source as of the release, measured in the same rounds.
 */
function vsReleaseRow(deltas: number, today: Throughput[], release: Throughput[]): Row {
  const cpu = (xs: Throughput[]) => xs.map((x) => x.cpu);
  const wall = (xs: Throughput[]) => xs.map((x) => x.wall);
  const judged = judgeRatio(perRoundRatios(cpu(today), cpu(release)), { atLeast: 1 });
  const wallRatios = perRoundRatios(wall(today), wall(release));
  const value = median(cpu(today));
  return {
    scenario: '1. core throughput',
    contestant: 'core vs our last release',
    metric: `${deltas.toLocaleString('en-US')} deltas, per CPU second`,
    unit: 'deltas/s',
    value,
    ratio: value / median(cpu(release)),
    baseline: 'our last release (4385146)',
    spread: judged.spread,
    bar: '≥ 1.0× our last release',
    verdict: judged.verdict,
    note: `coalesce policy, today's against bench/baselines/release-core (commit 4385146) over ${today.length} interleaved rounds, per second of the process's CPU time (a preempted run loses wall time, not CPU time); the release's median ${fmt(median(cpu(release)), 0)} deltas per CPU second; per-round ratios ${perRoundRatios(
      cpu(today),
      cpu(release),
    )
      .map((r) => r.toFixed(2))
      .join(
        ', ',
      )}; by wall time ${fmt(median(wallRatios), 2)}× (${fmt(Math.min(...wallRatios), 2)}–${fmt(Math.max(...wallRatios), 2)})${judged.settle ? `; ${judged.settle}` : ''}`,
  };
}

/** Today's core and the release's only: the quick A/B of bench/core-vs-release.ts. */
export async function coreVsRelease(deltas: number, rounds: number): Promise<Row[]> {
  const samples = await interleave(rounds, {
    [TODAY]: throughputRun(TODAY, contestants[TODAY]!, deltas),
    [RELEASE]: throughputRun(RELEASE, contestants[RELEASE]!, deltas),
  });
  return [vsReleaseRow(deltas, samples[TODAY]!, samples[RELEASE]!)];
}

/** 1. Deltas per second: the producer awaits each captureText, one `for await` reader. */
export async function coreThroughput(deltas: number, rounds: number): Promise<Row[]> {
  const runs = Object.fromEntries(
    Object.entries(contestants).map(([name, make]) => [name, throughputRun(name, make, deltas)]),
  );
  const measured = await interleave(rounds, runs);
  // The rows against the seed port and it-pushable are by wall time, as they always were.
  const samples = Object.fromEntries(
    Object.entries(measured).map(([name, xs]) => [name, xs.map((x) => x.wall)]),
  ) as Record<string, number[]>;
  const seed = median(samples['seed port']!);
  const rows: Row[] = Object.entries(samples).map(([contestant, values]) => {
    const value = median(values);
    const ours = contestant.startsWith('StreamingTextOutput');
    const vsSeed = judgeRatio(perRoundRatios(values, samples['seed port']!), { atLeast: SEED_BAR });
    const vsPushable = judgeRatio(perRoundRatios(values, samples['it-pushable']!), { atLeast: 1 });
    const verdict =
      vsSeed.verdict === 'missed' || vsPushable.verdict === 'missed'
        ? 'missed'
        : vsSeed.verdict === 'met' && vsPushable.verdict === 'met'
          ? 'met'
          : 'within noise';
    return {
      scenario: '1. core throughput',
      contestant,
      metric: `${deltas.toLocaleString('en-US')} deltas`,
      unit: 'deltas/s',
      value,
      ratio: value / seed,
      baseline: 'seed port',
      spread: vsSeed.spread,
      ...(ours
        ? {
            bar: `≥ ${SEED_BAR}× seed port and ≥ it-pushable`,
            verdict,
            note: `vs it-pushable ${vsPushable.spread.min.toFixed(2)}–${vsPushable.spread.max.toFixed(2)}× over the rounds${
              verdict === 'within noise'
                ? `; ${[vsSeed.settle, vsPushable.settle].filter(Boolean).join('; ')}`
                : ''
            }`,
          }
        : {}),
    };
  });
  rows.push(vsReleaseRow(deltas, measured[TODAY]!, measured[RELEASE]!));
  return rows;
}

/** 2. Per-delta latency from captureText to the reader, at a paced rate. */
export async function coreLatency(deltas: number, perSecond: number, rounds: number): Promise<Row[]> {
  const interval = 1000 / perSecond;
  const runs = Object.fromEntries(
    Object.entries(contestants)
      .filter(
        ([name]) =>
          name !== 'StreamingTextOutput (block)' &&
          name !== 'StreamingTextOutput (error)' &&
          name !== RELEASE,
      )
      .map(([name, make]) => [
        name,
        async () => {
          const sent = new Float64Array(deltas);
          const latency = new Float64Array(deltas);
          let received = 0;
          const { sink, read } = make((event) => {
            if (event.type === 'text_delta' && received < deltas) {
              latency[received] = performance.now() - sent[received]!;
              received++;
            }
          });
          const start = performance.now();
          for (let i = 0; i < deltas; i++) {
            const due = start + i * interval;
            // Yield to the event loop while waiting, as a real producer would.
            while (performance.now() < due) await immediate();
            sent[i] = performance.now();
            await sink.captureText(chunk(i));
          }
          sink.flush();
          await read;
          return { p50: percentile(latency, 50) * 1000, p99: percentile(latency, 99) * 1000 };
        },
      ]),
  );
  const samples = await interleave(rounds, runs);
  const seedP99 = median(samples['seed port']!.map((s) => s.p99));
  return Object.entries(samples).flatMap(([contestant, values]) => {
    const p50 = median(values.map((v) => v.p50));
    const p99 = median(values.map((v) => v.p99));
    const ours = contestant.startsWith('StreamingTextOutput');
    const scenario = `2. core latency @ ${perSecond.toLocaleString('en-US')}/s`;
    return [
      { scenario, contestant, metric: 'p50', unit: 'µs', value: p50 },
      {
        scenario,
        contestant,
        metric: 'p99',
        unit: 'µs',
        value: p99,
        ratio: p99 / seedP99,
        baseline: 'seed port',
        spread: judgeRatio(
          perRoundRatios(
            values.map((v) => v.p99),
            samples['seed port']!.map((v) => v.p99),
          ),
          { below: Number.POSITIVE_INFINITY },
        ).spread,
        ...(ours
          ? (() => {
              // The bar is on the figure itself: judged over the rounds' p99s, like a ratio.
              const judged = judgeRatio(
                values.map((v) => v.p99),
                { atMost: 50 },
              );
              return {
                bar: 'p99 ≤ 50 µs (every round)',
                verdict: judged.verdict,
                note: `p99 over the rounds ${judged.spread.min.toFixed(2)}–${judged.spread.max.toFixed(2)} µs${judged.settle ? `; ${judged.settle.replace(/×/g, ' µs')}` : ''}`,
              };
            })()
          : {}),
      },
    ];
  });
}
