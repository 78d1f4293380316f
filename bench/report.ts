import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
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
  /** The bar from the issue, in words, and whether this figure meets it. */
  bar?: string;
  pass?: boolean;
  note?: string;
}

export interface Report {
  machine: { node: string; cpus: string; cores: number; memoryGiB: number; date: string };
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
  };
}

export function printTable(rows: Row[]): void {
  const lines = rows.map((r) => [
    r.scenario,
    r.contestant,
    r.metric,
    `${fmt(r.value, r.value < 10 ? 2 : 0)} ${r.unit}`,
    r.ratio === undefined ? '' : `${fmt(r.ratio, 2)}× ${r.baseline}`,
    r.bar === undefined ? '' : `${r.pass ? 'PASS' : 'MISS'} ${r.bar}`,
  ]);
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i]!)).join('  '));
}

export function writeReport(report: Report, jsonPath: string, markdownPath: string): void {
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  const m = report.machine;
  const table = [
    '| scenario | contestant | metric | value | vs baseline | bar |',
    '|---|---|---|---|---|---|',
    ...report.rows.map(
      (r) =>
        `| ${r.scenario} | ${r.contestant} | ${r.metric} | ${fmt(r.value, r.value < 10 ? 2 : 0)} ${r.unit} | ${
          r.ratio === undefined ? '' : `${fmt(r.ratio, 2)}× ${r.baseline}`
        } | ${r.bar === undefined ? '' : `${r.pass ? '✅' : '❌'} ${r.bar}`} |`,
    ),
  ].join('\n');
  const notes = report.rows
    .filter((r) => r.note)
    .map((r) => `- **${r.scenario} / ${r.contestant}**: ${r.note}`)
    .join('\n');
  writeFileSync(
    markdownPath,
    `# Benchmarks

Produced by \`npm run bench\` (${report.size} size) on ${m.date.slice(0, 10)}.

**Machine:** ${m.cores} × ${m.cpus}, ${m.memoryGiB} GiB, Node ${m.node}.

**Method:** every figure is the median of ${report.rounds} runs, and every contestant of a scenario runs once per
round with the rounds interleaved (the order rotates each round), so the baselines are measured in the same run
under the same conditions. Ratios are against the baseline named in the row. Latencies are from \`captureText\`
to the reader (or to the WebSocket client's \`message\` event), measured with \`performance.now()\` in one
process. Memory figures come from child processes started with \`--expose-gc\`, after a full GC.
Figures and ratios are in \`bench/results.json\`.

${table}

${notes ? `## Notes\n\n${notes}\n` : ''}`,
  );
}
