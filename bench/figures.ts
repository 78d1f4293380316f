/**
 * The benchmark figures the README and docs/performance.md quote, rendered from the committed run
 * (BENCHMARKS.md) so that no figure there is typed by hand. `npm run bench` rewrites the blocks
 * between `<!-- figures:NAME -->` and `<!-- /figures:NAME -->` after each run that writes
 * BENCHMARKS.md; `test/doc-figures.test.ts` fails when a block differs from what this renders.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_COALESCE_MS } from '../src/session/options.js';
import { DEMO_PAGE, RENDERER, RENDERER_NO_WINDOW, USE_CHAT_PAGE } from './page-contestants.js';

/** One row of a BENCHMARKS.md table, as written (text, not numbers: the docs quote it). */
export interface BenchRow {
  /** The Node major the row was measured on. */
  node: string;
  scenario: string;
  contestant: string;
  metric: string;
  value: string;
  /** "1.54× (1.23–1.58) seed port", or empty. */
  vs: string;
  /** "✅ met: …", or empty. */
  bar: string;
}

/** Every table row of BENCHMARKS.md, each with the Node major of its section. */
export function benchRows(markdown: string): BenchRow[] {
  let node = /Node v(\d+)/.exec(markdown)?.[1] ?? '?';
  const rows: BenchRow[] = [];
  for (const line of markdown.split('\n')) {
    const heading = /^## Capacity \(Node (\d+)\)/.exec(line);
    if (heading) node = heading[1]!;
    if (!line.startsWith('| ') || line.startsWith('| scenario |')) continue;
    const cells = line.slice(2, -2).split(' | ');
    if (cells.length !== 6) continue;
    const [scenario, contestant, metric, value, vs, bar] = cells.map((c) => c.trim()) as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    rows.push({ node, scenario, contestant, metric, value, vs, bar });
  }
  return rows;
}

interface Pick {
  label: string;
  /** The row's scenario starts with this. */
  scenario: string;
  /** The row's contestant starts with this. */
  contestant: string;
  metric: string;
  node?: string;
  /** Left out when the run has no such row (a capacity run on one worker has no 2-worker rows). */
  optional?: boolean;
}

function find(rows: BenchRow[], pick: Pick): BenchRow | undefined {
  const matches = (contestant: (name: string) => boolean) =>
    rows.find(
      (r) =>
        r.scenario.startsWith(pick.scenario) &&
        contestant(r.contestant) &&
        r.metric === pick.metric &&
        (pick.node === undefined || r.node === pick.node),
    );
  // The contestant named in full, else the first whose name starts with it.
  const found =
    matches((name) => name === pick.contestant) ?? matches((name) => name.startsWith(pick.contestant));
  if (found === undefined && !pick.optional)
    throw new Error(`BENCHMARKS.md has no row for "${pick.label}" (${JSON.stringify(pick)})`);
  return found;
}

function table(rows: BenchRow[], picks: Pick[]): string {
  const lines = ['| what | figure | against its baseline (spread over rounds) | bar |', '|---|---|---|---|'];
  for (const pick of picks) {
    const row = find(rows, pick);
    if (row !== undefined) lines.push(`| ${pick.label} | ${row.value} | ${row.vs} | ${row.bar} |`);
  }
  return lines.join('\n');
}

const OURS = 'ours (createStreamingServer)';
const CAPACITY = '10. capacity: 300-chunk';
const nodes = (rows: BenchRow[]) =>
  [...new Set(rows.filter((r) => r.scenario.startsWith(CAPACITY)).map((r) => r.node))].sort();

/** Ours' capacity at the server's default window, per Node, with the framework alone's beside it. */
function capacityLine(rows: BenchRow[]): string {
  const parts = nodes(rows).map((node) => {
    const ours = find(rows, {
      label: `capacity, Node ${node}`,
      node,
      scenario: CAPACITY,
      // The row the capacity bench marks as the server's default window, wherever it is in the table.
      contestant: `${OURS}, coalesceMs ${DEFAULT_COALESCE_MS} (default), 1 worker`,
      metric: 'capacity (sessions)',
    })!;
    const framework = find(rows, {
      label: `framework alone, Node ${node}`,
      node,
      scenario: CAPACITY,
      contestant: 'framework alone (no-op output, RunResult), 1 worker',
      metric: 'capacity (sessions)',
    })!;
    const viaWs = find(rows, {
      label: `capacity vs framework + ws, Node ${node}`,
      node,
      scenario: CAPACITY,
      contestant: ours.contestant,
      metric: 'capacity vs framework + ws',
      optional: true,
    });
    const overWs =
      viaWs === undefined
        ? ''
        : `; the framework writing each chunk to its socket itself: ours ${viaWs.vs.replace(' framework + ws', '')} of it`;
    return `**${ours.value} on Node ${node}** (the framework alone, with an output that does nothing: ${framework.value}; ours ${ours.vs.replace(' framework alone', '')} of it${overWs})`;
  });
  return parts.join(', ');
}

/** Per Node: capacity per delivery window, the framework alone and raw `ws`; p99 and CPU at 500. */
function capacityTables(rows: BenchRow[]): string {
  return nodes(rows)
    .map((node) => {
      const here = rows.filter((r) => r.node === node && r.scenario.startsWith('10. capacity'));
      const picks: Pick[] = [
        ...here
          .filter((r) => r.contestant.startsWith(OURS) && r.metric === 'capacity (sessions)')
          .map((r) => ({
            label: `capacity: ${r.contestant.slice(OURS.length + 2)}`,
            node,
            scenario: r.scenario,
            contestant: r.contestant,
            metric: r.metric,
          })),
        ...here
          .filter(
            (r) => r.contestant.startsWith(OURS) && r.metric === 'capacity vs framework + ws' && r.bar !== '',
          )
          .map((r) => ({
            label: `capacity against framework + ws: ${r.contestant.slice(OURS.length + 2)}`,
            node,
            scenario: r.scenario,
            contestant: r.contestant,
            metric: r.metric,
          })),
        ...[1, 2].flatMap((workers) =>
          [
            'framework alone (no-op output, RunResult)',
            'framework + ws (an output that writes each chunk to the socket)',
            'raw ws (same paced stream, no framework)',
          ].map((who) => ({
            label: `capacity: ${who.split(' (')[0]}, ${workers} worker${workers > 1 ? 's' : ''}`,
            node,
            scenario: CAPACITY,
            contestant: `${who}, ${workers} worker`,
            metric: 'capacity (sessions)',
            optional: true,
          })),
        ),
        ...here
          .filter((r) => r.scenario.includes('delivery window') && r.contestant.startsWith('ours'))
          .map((r) => ({
            label: `p99 emit → receive at ${/at (\d+) sessions/.exec(r.scenario)?.[1]} sessions: ${r.contestant}`,
            node,
            scenario: r.scenario,
            contestant: r.contestant,
            metric: r.metric,
          })),
        ...['raw ws', 'framework alone', 'framework + ws', 'ours'].map((who) => ({
          label: `server CPU per chunk at 500 sessions: ${who}`,
          node,
          scenario: '10. capacity: server CPU per chunk',
          contestant: who,
          metric: 'server CPU per chunk',
          optional: true,
        })),
      ];
      return `**Node ${node}**\n\n${table(here, picks)}`;
    })
    .join('\n\n');
}

const highlights: Pick[] = [
  {
    label: 'core throughput, 1M deltas, one `for await` reader',
    scenario: '1. core throughput',
    contestant: 'StreamingTextOutput (coalesce)',
    metric: '1,000,000 deltas',
  },
  {
    label: 'core against our last release (per CPU second)',
    scenario: '1. core throughput',
    contestant: 'core vs our last release',
    metric: '1,000,000 deltas, per CPU second',
  },
  {
    label: 'core latency at 100,000 deltas/s, p99',
    scenario: '2. core latency',
    contestant: 'StreamingTextOutput (coalesce)',
    metric: 'p99',
  },
  {
    label: 'a reader that never reads: heap growth per byte of text',
    scenario: '3. stalled reader',
    contestant: 'subscribe() coalesce',
    metric: 'heap growth / text produced',
  },
  {
    label: 'a real `session.run()`, 2,000 chunks, against an output that does nothing',
    scenario: '4. session.run()',
    contestant: 'StreamingTextOutput + reader',
    metric: 'per run vs no-op output',
  },
  {
    label: 'WebSocket, one client at 10,000 deltas/s, p99',
    scenario: '5. WebSocket',
    contestant: 'ours @ 10000/s',
    metric: 'latency p99',
  },
  {
    label: '500 connections at once, 200-delta replies',
    scenario: '6. fan-out',
    contestant: 'server',
    metric: 'peak RSS per connection',
  },
  {
    label: 'one client reading at a tenth of the speed among 20: the others’ turn p99',
    scenario: '7. 20 fast clients',
    contestant: 'fast clients, with the slow one',
    metric: 'turn time p99',
  },
  {
    label: 'AI SDK over WebSocket (`WebSocketChatTransport`), p99',
    scenario: '12. AI SDK adapter',
    contestant: 'WebSocketChatTransport frames',
    metric: 'latency p99',
  },
  {
    label: 'AI SDK over SSE (`DefaultChatTransport`), p99',
    scenario: '12. AI SDK adapter',
    contestant: 'SSE (DefaultChatTransport)',
    metric: 'latency p99',
  },
  {
    label:
      "Chromium, 100,000-delta reply: a minimal page with `<StreamingText>`, the hook's defaults (a 16 ms window)",
    scenario: '11. Chromium page, one 100,000-delta reply',
    contestant: RENDERER,
    metric: 'time to finished turn',
  },
  {
    label: '… its longest long task',
    scenario: '11. Chromium page, one 100,000-delta reply',
    contestant: RENDERER,
    metric: 'longest long task',
  },
  {
    label: '… of which the page’s own CPU time',
    scenario: '11. Chromium page, one 100,000-delta reply',
    contestant: RENDERER,
    metric: 'longest long task, CPU time',
  },
  {
    label: '… the same page asking for no window (`coalesceMs: 0`): its longest long task',
    scenario: '11. Chromium page, one 100,000-delta reply',
    contestant: RENDERER_NO_WINDOW,
    metric: 'longest long task',
  },
  {
    label: '… the `/ai-sdk` demo page (`useChat`)',
    scenario: '11. Chromium page, one 100,000-delta reply',
    contestant: USE_CHAT_PAGE,
    metric: 'time to finished turn',
  },
  {
    label: '… the demo page (`useStreamingAgent`)',
    scenario: '11. Chromium page, one 100,000-delta reply',
    contestant: DEMO_PAGE,
    metric: 'time to finished turn',
  },
];

/** Every block, by name, from the text of BENCHMARKS.md. */
export function figureBlocks(markdown: string): Record<string, string> {
  const rows = benchRows(markdown);
  const date = /on (\d{4}-\d{2}-\d{2})/.exec(markdown)?.[1] ?? 'unknown';
  return {
    'readme-capacity': `At the default delivery window, by the p99 ≤ 100 ms bar, with every conversation streaming 50 chunks/s, one process held ${capacityLine(rows)}: 2 cores, the lower of two ramps, run of ${date}.`,
    highlights: table(
      rows.filter((r) => r.node === /Node v(\d+)/.exec(markdown)?.[1]),
      highlights,
    ),
    capacity: capacityTables(rows),
  };
}

const START = (name: string) => `<!-- figures:${name} -->`;
const END = (name: string) => `<!-- /figures:${name} -->`;

/** `doc` with each of its figure blocks replaced by `blocks`' (a block it does not have stays out). */
export function withFigures(doc: string, blocks: Record<string, string>): string {
  let out = doc;
  for (const [name, text] of Object.entries(blocks)) {
    const start = out.indexOf(START(name));
    const end = out.indexOf(END(name));
    if (start === -1 || end === -1) continue;
    out = `${out.slice(0, start + START(name).length)}\n${text}\n${out.slice(end)}`;
  }
  return out;
}

/** The documents that quote figures. */
export const FIGURE_DOCS = ['README.md', 'docs/performance.md'];

/** Rewrites the figure blocks of the docs from the BENCHMARKS.md in `root`. */
export function writeFigures(root: string): void {
  const blocks = figureBlocks(readFileSync(join(root, 'BENCHMARKS.md'), 'utf8'));
  for (const doc of FIGURE_DOCS) {
    const path = join(root, doc);
    const before = readFileSync(path, 'utf8');
    const after = withFigures(before, blocks);
    if (after !== before) writeFileSync(path, after);
  }
}
