/**
 * Runs only scenario L of `npm run bench` (issue 9 item 3) and prints its rows:
 *   node --import tsx bench/long-reply/run.ts [chunks=100000]
 */
import { printTable } from '../report.js';
import { longReply } from '../scenarios/long-reply.js';

const chunks = Number(process.argv[2] ?? 100_000);
const rows = await longReply(chunks, 8, 60_000);
printTable(rows);
for (const row of rows) if (row.note) console.log(`${row.contestant} / ${row.metric}: ${row.note}`);
