import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fmt } from './stats.js';

/** One measured figure, with the baseline it is compared to (measured in the same run). */
export interface Row {
  scenario: string;
  contestant: string;
  metric: string;
  unit: string;
  value: number;
  /** value / baseline value, when a baseline applies. */
  ratio?: number;
  baseline?: string;
  /**
   * The ratio's spread over the rounds (min–max of the per-round ratios), or the interval a
   * capacity ratio is known to lie in. A row with a ratio and no spread had one round.
   */
  spread?: { min: number; max: number };
  /** The bar from the issue, in words, and whether this figure meets it. */
  bar?: string;
  /** For a bar on a figure without spread: whether it is met. */
  pass?: boolean;
  /**
   * For a bar on a ratio with a spread: met only when the whole spread is inside the bar, missed
   * only when the whole spread is past it, otherwise within noise.
   */
  verdict?: Verdict;
  note?: string;
}

export type Verdict = 'met' | 'missed' | 'within noise';

/** The row's verdict: its `verdict` when it has a spread, else from `pass`. */
export function verdictOf(r: Row): Verdict | undefined {
  if (r.verdict) return r.verdict;
  if (r.pass === undefined) return undefined;
  return r.pass ? 'met' : 'missed';
}

const mark: Record<Verdict, string> = { met: '✅', missed: '❌', 'within noise': '〰️' };
const word: Record<Verdict, string> = { met: 'PASS', missed: 'MISS', 'within noise': 'NOISE' };

function ratioText(r: Row): string {
  if (r.ratio === undefined) return '';
  const spread = r.spread
    ? ` (${fmt(r.spread.min, 2)}–${Number.isFinite(r.spread.max) ? fmt(r.spread.max, 2) : '∞'})`
    : '';
  return `${fmt(r.ratio, 2)}×${spread} ${r.baseline}`;
}

export interface Report {
  machine: { node: string; cpus: string; cores: number; memoryGiB: number; date: string; load?: string };
  size: 'full' | 'smoke';
  rounds: number;
  rows: Row[];
}

export function machine(): Report['machine'] {
  return {
    node: process.version,
    cpus: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    date: new Date().toISOString(),
    load: loadavg()
      .map((l) => l.toFixed(2))
      .join(', '),
  };
}

export function printTable(rows: Row[]): void {
  const lines = rows.map((r) => [
    r.scenario,
    r.contestant,
    r.metric,
    `${fmt(r.value, r.value < 10 ? 2 : 0)} ${r.unit}`,
    ratioText(r),
    r.bar === undefined ? '' : `${word[verdictOf(r)!]} ${r.bar}`,
  ]);
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i]!)).join('  '));
}

// One capacity section per Node major version: a run on another Node adds its own section.
const nodeMajor = process.versions.node.split('.')[0];
const CAPACITY_START = `<!-- capacity:start node${nodeMajor} -->`;
const CAPACITY_END = `<!-- capacity:end node${nodeMajor} -->`;
const isCapacity = (r: Row) => r.scenario.startsWith('10. capacity');

function tableOf(rows: Row[]): string {
  return [
    '| scenario | contestant | metric | value | vs baseline (spread over rounds) | bar |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const verdict = verdictOf(r);
      return `| ${r.scenario} | ${r.contestant} | ${r.metric} | ${fmt(r.value, r.value < 10 ? 2 : 0)} ${r.unit} | ${ratioText(r)} | ${
        r.bar === undefined || verdict === undefined ? '' : `${mark[verdict]} ${verdict}: ${r.bar}`
      } |`;
    }),
  ].join('\n');
}

function notesOf(rows: Row[]): string {
  return rows
    .filter((r) => r.note)
    .map((r) => `- **${r.scenario} / ${r.contestant}**: ${r.note}`)
    .join('\n');
}

/** The capacity section of BENCHMARKS.md, between markers so a capacity-only run can replace it. */
export function capacitySection(rows: Row[], m: Report['machine'], extra: string): string {
  return `${CAPACITY_START}
## Capacity (Node ${nodeMajor})

Produced by \`npm run bench -- capacity\` (or the full \`npm run bench\`) on ${m.date.slice(0, 10)}, load average
${m.load ?? 'unknown'} (1, 5, 15 min; other work on the machine depresses every figure alike, baselines included).

**Method:** every session asks once; its reply streams at model pace from an LLM on a timer, each chunk stamped
with the time it was due on the clock all processes share (\`performance.timeOrigin + performance.now()\`); the
asks of a step are spread over one second. N ramps up (50, 100, 200, …) until a step misses, then bisects toward
the miss twice. A step passes when the p99 emit → receive latency per chunk is ≤ 100 ms and nothing failed (an
error frame, a lost socket, a missing chunk). **Capacity** is the largest N that passed; the first N that missed
bounds it from above. Every contestant ramps twice, since one step's p99 can pass in one ramp and miss in the
next: the tables report the lower capacity, the notes each round's, and the ratios' spread covers every
interval both rounds allow. Clients run in the bench process;
servers are forked (\`runWorkers\`, 1 or 2 worker processes on one port); "framework alone" runs AgentSessions in
1 or 2 forked processes with an output that only notes arrival times, read through \`RunResult\`; "framework + ws"
runs the same AgentSessions behind a \`ws\` server whose text output writes each chunk to its socket as it comes
(no reader, log, window or resume), for the same clients: the framework's text delivered the shortest way. The CPU time
per chunk is measured apart from the ramps: 3 rounds of one step per contestant, interleaved, each on a fresh
process after a warm-up step; its ratio's spread is the min–max of the per-round ratios.

${tableOf(rows)}

${notesOf(rows)}
${extra}
${CAPACITY_END}`;
}

/**
 * Replaces the rows (and notes) of some scenarios in the main table of an existing BENCHMARKS.md with
 * a later run's, in place, and says so under the line that says which run produced the file: `npm run bench -- browser` re-measures
 * one scenario without the hour of a full run. Rows of other scenarios stay as the full run wrote them.
 */
export function mergeScenarioRows(
  markdown: string,
  rows: Row[],
  m: Report['machine'],
  command: string,
): string {
  const scenarios = new Set(rows.map((r) => r.scenario));
  const isOurs = (line: string) =>
    [...scenarios].some((s) => line.startsWith(`| ${s} | `) || line.startsWith(`- **${s} / `));
  const lines = markdown.split('\n');
  const firstRow = lines.findIndex((l) => l.startsWith('| ') && isOurs(l));
  const firstNote = lines.findIndex((l) => l.startsWith('- **') && isOurs(l));
  const table = tableOf(rows).split('\n').slice(2);
  const notes = rows.some((r) => r.note) ? notesOf(rows).split('\n') : [];
  const out: string[] = [];
  lines.forEach((line, i) => {
    if (i === firstRow) out.push(...table);
    if (i === firstNote) out.push(...notes);
    // An earlier run of the same command: its line (and the blank line before it) go.
    if (line.startsWith('Rows of ') && line.includes(command)) {
      if (out.at(-1) === '') out.pop();
      return;
    }
    if (!isOurs(line)) out.push(line);
    if (line.startsWith('Produced by '))
      out.push(
        '',
        `Rows of ${[...scenarios].join('; ')}: from a later run, \`${command}\`, on ${m.date.slice(0, 10)}, Node ${m.node}, load average ${m.load ?? 'unknown'}.`,
      );
  });
  if (firstRow === -1)
    throw new Error(`BENCHMARKS.md has no rows of ${[...scenarios].join('; ')} to replace`);
  return out.join('\n');
}

/** Replaces (or appends) the capacity section of an existing BENCHMARKS.md. */
export function mergeCapacitySection(markdown: string, section: string): string {
  const start = markdown.indexOf(CAPACITY_START);
  const end = markdown.indexOf(CAPACITY_END);
  if (start === -1 || end === -1) return `${markdown.trimEnd()}\n\n${section}\n`;
  return `${markdown.slice(0, start)}${section}${markdown.slice(end + CAPACITY_END.length)}`;
}

export function writeReport(
  report: Report,
  jsonPath: string,
  markdownPath: string,
  capacityExtra = '',
): void {
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  const m = report.machine;
  const main = report.rows.filter((r) => !isCapacity(r));
  const capacity = report.rows.filter(isCapacity);
  const noisy = main.filter((r) => verdictOf(r) === 'within noise');
  writeFileSync(
    markdownPath,
    `# Benchmarks

Produced by \`npm run bench\` (${report.size} size) on ${m.date.slice(0, 10)}, load average ${m.load ?? 'unknown'}.

**Machine:** ${m.cores} × ${m.cpus}, ${m.memoryGiB} GiB, Node ${m.node}.

**Method:** every figure is the median of ${report.rounds} runs, and every contestant of a scenario runs once per
round with the rounds interleaved (the order rotates each round), so the baselines are measured in the same run
under the same conditions. Ratios are against the baseline named in the row; after each ratio, in brackets, the
spread of the per-round ratios (min–max). A bar counts as met (✅) only when the whole spread is inside it, as
missed (❌) only when the whole spread is past it; otherwise the row is within noise (〰️). Latencies are from
\`captureText\` to the reader (or to the WebSocket client's \`message\` event), measured with \`performance.now()\`
in one process. Memory figures come from child processes started with \`--expose-gc\`, after a full GC.
Figures and ratios are in \`bench/results.json\`.

${tableOf(main)}

${main.some((r) => r.note) ? `## Notes\n\n${notesOf(main)}\n` : ''}${
  noisy.length > 0
    ? `\n**Within noise:** ${noisy.length} row(s) have a spread that straddles their bar; their notes say about how many rounds would settle each (the spread of a median narrows roughly as 1/√rounds).\n`
    : ''
}
${capacity.length > 0 ? capacitySection(capacity, m, capacityExtra) : ''}
`,
  );
}
