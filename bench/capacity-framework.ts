/**
 * The capacity benchmark's "framework alone": N AgentSessions in this process, each answering one
 * paced reply (bench/paced.ts) through an output that only notes when each chunk arrived, read via
 * `session.run()`'s RunResult. No socket, no reader, none of our code: the framework's ceiling.
 * Forked with IPC; answers `{ sessions, chunks, perSecond, staggerMs }` with the step's figures.
 */
import { initializeLogger, voice } from '@livekit/agents';
import { TextOutputBase } from '../src/core/text-output.js';
import { latencies, PacedLLM, sharedNow } from './paced.js';

initializeLogger({ pretty: false, level: 'error' });

class TimingOutput extends TextOutputBase {
  firstAt = 0;
  chunks = 0;
  constructor(private readonly into: number[]) {
    super();
  }
  async captureText(text: string | { text: string }): Promise<void> {
    const now = sharedNow();
    if (this.firstAt === 0) this.firstAt = now;
    this.chunks += latencies(typeof text === 'string' ? text : text.text, now, this.into);
  }
  flush(): void {}
}

interface Step {
  sessions: number;
  chunks: number;
  perSecond: number;
  staggerMs: number;
}

async function step({ sessions, chunks, perSecond, staggerMs }: Step) {
  const latency: number[] = [];
  const opened = await Promise.all(
    Array.from({ length: sessions }, async () => {
      const session = new voice.AgentSession({ llm: new PacedLLM(chunks, perSecond), userAwayTimeout: null });
      const output = new TimingOutput(latency);
      session.output.transcription = output;
      await session.start({ agent: new voice.Agent({ instructions: 'bench' }) });
      return { session, output };
    }),
  );
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 200);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let errors = 0;
  const firstDelta: number[] = [];
  await Promise.all(
    opened.map(async ({ session, output }, i) => {
      await new Promise((r) => setTimeout(r, (i * staggerMs) / sessions));
      const askedAt = sharedNow();
      try {
        await session.run({ userInput: 'go' }).wait();
      } catch {
        errors++;
      }
      if (output.chunks !== chunks) errors++;
      firstDelta.push(output.firstAt - askedAt);
    }),
  );
  const wall = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  await Promise.all(opened.map(({ session }) => session.close()));
  return {
    latency,
    firstDelta,
    errors,
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs: wall,
    rssBefore,
    peakRss,
  };
}

process.on('message', (message: Step | 'close') => {
  if (message === 'close') process.exit(0);
  void step(message).then((result) => process.send!(result));
});
process.send!('ready');
