/**
 * One capacity step on one contestant, to look inside it:
 *   node --import tsx bench/profile-step.ts <ours|framework|raw> <sessions> [coalesceMs]
 * With `BENCH_PROFILE=1` the server leaves a CPU profile in /tmp/prof-<kind>-1; with `BENCH_TRACE_GC=1`
 * it prints every GC; with `BENCH_PERF=1` its JIT frames are named for `perf record -g -p <pid>`.
 */
import { ramp } from './scenarios/capacity.js';

const [kind = 'ours', sessions = '100', coalesceMs = '0'] = process.argv.slice(2);
if (kind !== 'ours' && kind !== 'framework' && kind !== 'raw')
  throw new TypeError(`unknown contestant ${kind}`);
await ramp(kind, 1, {
  chunks: 300,
  perSecond: 50,
  staggerMs: 1000,
  ramp: [Number(sessions)],
  bisections: 0,
  workers: [1],
  perChunkAt: 0,
  coalesceMs: Number(coalesceMs),
});
