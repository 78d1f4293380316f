/**
 * `npm run demo`: the streaming server and its chat page on one port (8765, `PORT` overrides).
 * Offline by default; set OPENAI_API_KEY to use OpenAI. `WORKERS=2` runs two worker processes on
 * that port (`runWorkers`, node:cluster): one per core.
 */
import { initializeLogger } from '@livekit/agents';
import { runWorkers } from '../server/cluster.js';
import { chooseLLM } from './llm-choice.js';
import { startDemo } from './start.js';

// Errors only: at 'warn' the framework prints "skipping user input, speech scheduling is paused" each time
// a browser leaves (closing a text-only session commits an empty user turn while scheduling is paused).
initializeLogger({ pretty: false, level: 'error' });

const llm = chooseLLM();
const options = {
  port: Number(process.env.PORT ?? 8765),
  host: process.env.HOST ?? '127.0.0.1',
  createLLM: llm.create,
};
const workers = Number(process.env.WORKERS ?? 1);
try {
  if (workers > 1) {
    const start = async () => {
      const demo = await startDemo(options);
      return { port: demo.server.port, close: demo.close };
    };
    const pool = await runWorkers({ workers, start });
    if (pool.isPrimary) {
      console.log(`Workers:    ${workers} processes on one port (pids ${pool.pids.join(', ')})`);
      announce(`http://localhost:${pool.port}/`, `ws://${options.host}:${pool.port}/ws`, pool.close);
    }
  } else {
    const demo = await startDemo(options);
    announce(demo.pageUrl, demo.server.url, demo.close);
  }
} catch (error) {
  failToStart(error as NodeJS.ErrnoException);
}

/** One line that says what to change, not a stack trace. */
function failToStart(error: NodeJS.ErrnoException): never {
  const { port, host } = options;
  if (error?.code === 'EADDRINUSE') {
    console.error(
      `Port ${port} on ${host} is already in use: set PORT to a free one, e.g. PORT=8766 npm run demo`,
    );
  } else if (error?.code === 'EACCES') {
    console.error(
      `Not allowed to listen on port ${port}: set PORT to a port above 1024, e.g. PORT=8766 npm run demo`,
    );
  } else {
    console.error(`The demo could not start: ${error?.message ?? error}`);
  }
  process.exit(1);
}

function announce(pageUrl: string, socketUrl: string, close: () => Promise<void>) {
  console.log(`LLM: ${llm.description}`);
  console.log(`Chat page:  ${pageUrl}`);
  console.log(`WebSocket:  ${socketUrl}`);
  console.log('Press Ctrl+C to stop.');
  const stop = () => {
    void close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
