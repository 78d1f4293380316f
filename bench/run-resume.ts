/**
 * Scenario 9 alone (it is also part of `npm run bench`):
 * `node --expose-gc --import tsx bench/run-resume.ts [deltas] [rounds] [sessions]`.
 */
import { initializeLogger } from '@livekit/agents';
import { printTable } from './report.js';
import { resumeIdleMemory, resumeSendCost } from './scenarios/resume.js';

initializeLogger({ pretty: false, level: 'error' });
const deltas = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 5);
const sessions = Number(process.argv[4] ?? 50);
printTable(await resumeSendCost(deltas, 10_000, rounds));
printTable(await resumeIdleMemory(sessions, 300, 3));
