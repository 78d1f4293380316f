/**
 * Today's core against our own core as of the release (bench/baselines/release-core/, the source of
 * commit 4385146), alone, in one process, rounds interleaved:
 *   node --expose-gc --import tsx bench/core-vs-release.ts [rounds] [deltas]
 * The same measurement as the "core vs our last release" row of `npm run bench -- core`, quicker
 * to repeat while changing the core.
 */
import { loadavg } from 'node:os';
import { printTable } from './report.js';
import { coreVsRelease } from './scenarios/core.js';

const [rounds = '9', deltas = '1000000'] = process.argv.slice(2);
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`,
);
const rows = await coreVsRelease(Number(deltas), Number(rounds));
printTable(rows);
for (const row of rows) console.log(`  ${row.note}`);
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`,
);
