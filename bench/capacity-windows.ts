/**
 * The delivery window at one load, quicker than whole ramps: the framework alone and ours at each
 * `coalesceMs`, one step each per round, interleaved, fresh processes:
 *   node --expose-gc --import tsx bench/capacity-windows.ts [sessions=500] [windows=0,16,33,50] [rounds=3]
 * Prints each step, then the rows `npm run bench -- capacity` adds for the same comparison.
 */
import { loadavg } from 'node:os';
import { printTable } from './report.js';
import { windowRows, windowSteps } from './scenarios/capacity.js';

const [sessions = '500', windows = '0,16,33,50', rounds = '3'] = process.argv.slice(2);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
console.log(`load average ${load()}; node ${process.version}`);
const o = {
  chunks: 300,
  perSecond: 50,
  staggerMs: 1000,
  ramp: [],
  bisections: 0,
  workers: [1],
  perChunkAt: 0,
  windows: windows.split(',').map(Number),
  windowsAt: Number(sessions),
};
const rows = windowRows(o, await windowSteps(o, Number(rounds)));
printTable(rows);
for (const row of rows) console.log(`  ${row.contestant}: ${row.note}`);
console.log(`load average ${load()}`);
