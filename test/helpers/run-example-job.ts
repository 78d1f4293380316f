/**
 * Runs examples/worker.ts as a job against the fake job context, offline, and prints the
 * framework's own log of it: one turn ("hello") against the loopback realtime server, then the
 * framework's shutdown steps. A clean run prints no "entrypoint did not exit in time".
 *
 *   npx tsx test/helpers/run-example-job.ts
 */
import { initializeLogger } from '@livekit/agents';
import { startFakeJob } from './fake-job.js';
import { createFakeRoom } from './fake-room.js';
import { startOpenAIRealtimeServer } from './openai-realtime-server.js';

initializeLogger({ pretty: false, level: 'info' });
const model = await startOpenAIRealtimeServer([
  { input: 'hello', content: 'Hello there! How can I help you today?' },
]);
process.env.OPENAI_BASE_URL = model.baseURL;
process.env.OPENAI_API_KEY ??= 'test-key';
const { default: worker } = await import('../../examples/worker.js');
const job = startFakeJob(worker, createFakeRoom().room);
while (job.session()?.agentState !== 'listening') await new Promise((resolve) => setTimeout(resolve, 10));
await job.session()!.run({ userInput: 'hello' }).wait();
await new Promise((resolve) => setTimeout(resolve, 500));
console.log(`entry returned before shutdown: ${job.entryReturned()}`);
const report = await job.shutdown();
console.log(
  `shutdown: waited ${report.entryWaitMs} ms for entry, ${report.closeToCallbacksDoneMs} ms from the session's close to the readers' end; warnings/errors: ${JSON.stringify(report.problems)}`,
);
await model.close();
