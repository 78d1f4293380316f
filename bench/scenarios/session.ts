import { voice } from '@livekit/agents';
import { TextOutputBase } from '../../src/core/text-output.js';
import { StreamingTextOutput } from '../../src/index.js';

/** The least a transcription output can do: take each chunk and return. */
class NoopTextOutput extends TextOutputBase {
  async captureText(): Promise<void> {}
  flush(): void {}
}

type Variant = 'none' | 'noop' | 'streaming';

import type { Row } from '../report.js';
import { interleave, judgeRatio, median, perRoundRatios } from '../stats.js';

/** 4. Time per session.run() with a long FakeLLM reply, with and without a StreamingTextOutput and a reader. */
export async function sessionOverhead(
  replyChars: number,
  runsPerSample: number,
  rounds: number,
): Promise<Row[]> {
  const reply = 'The quick brown fox jumps over the lazy dog. '
    .repeat(Math.ceil(replyChars / 45))
    .slice(0, replyChars);
  const agent = () => new voice.Agent({ instructions: 'bench' });
  const makeSession = async (variant: Variant) => {
    const withOutput = variant === 'streaming';
    const session = new voice.AgentSession({
      llm: new voice.testing.FakeLLM([{ input: 'go', content: reply }]),
    });
    let reading: Promise<number> | undefined;
    let output: StreamingTextOutput | undefined;
    if (variant === 'noop') session.output.transcription = new NoopTextOutput();
    if (withOutput) {
      output = StreamingTextOutput.attach(session);
      const reader = output.subscribe();
      reading = (async () => {
        let n = 0;
        for await (const _ of reader) n++;
        return n;
      })();
    }
    await session.start({ agent: agent() });
    return { session, output, reading };
  };
  const timeRuns = (variant: Variant) => async () => {
    const withOutput = variant === 'streaming';
    const { session, output, reading } = await makeSession(variant);
    const start = performance.now();
    for (let i = 0; i < runsPerSample; i++) await session.run({ userInput: 'go' }).wait();
    const perRun = (performance.now() - start) / runsPerSample;
    output?.close();
    const events = await reading;
    if (withOutput && events !== runsPerSample * (Math.ceil(replyChars / 3) + 1)) {
      throw new Error(`reader saw ${events} events`);
    }
    await session.close();
    return perRun;
  };
  const samples = await interleave(rounds, {
    without: timeRuns('none'),
    noop: timeRuns('noop'),
    with: timeRuns('streaming'),
  });
  const without = median(samples.without);
  const noop = median(samples.noop);
  const withOutput = median(samples.with);
  const noopSpread = judgeRatio(perRoundRatios(samples.noop, samples.without), {
    below: Number.POSITIVE_INFINITY,
  });
  const vsNoop = judgeRatio(perRoundRatios(samples.with, samples.noop), { below: 1.05 });
  const vsNone = judgeRatio(perRoundRatios(samples.with, samples.without), { below: 1.05 });
  const scenario = `4. session.run(), FakeLLM, ${replyChars.toLocaleString('en-US')}-char reply (${Math.ceil(replyChars / 3)} chunks)`;
  return [
    { scenario, contestant: 'no transcription output', metric: 'per run', unit: 'ms', value: without },
    {
      scenario,
      contestant: 'no-op TextOutput',
      metric: 'per run',
      unit: 'ms',
      value: noop,
      ratio: noop / without,
      baseline: 'no output',
      spread: noopSpread.spread,
      note: "the framework's own cost of having any transcription output (it awaits captureText per chunk)",
    },
    {
      scenario,
      contestant: 'StreamingTextOutput + reader',
      metric: 'per run vs no-op output',
      unit: 'ms',
      value: withOutput,
      ratio: withOutput / noop,
      baseline: 'no-op TextOutput',
      spread: vsNoop.spread,
      bar: '< 5% overhead (against an output that does nothing)',
      verdict: vsNoop.verdict,
      ...(vsNoop.settle ? { note: vsNoop.settle } : {}),
    },
    {
      scenario,
      contestant: 'StreamingTextOutput + reader',
      metric: 'per run',
      unit: 'ms',
      value: withOutput,
      ratio: withOutput / without,
      baseline: 'no output',
      spread: vsNone.spread,
      bar: '< 5% overhead (against no output at all)',
      verdict: vsNone.verdict,
      ...(vsNone.settle ? { note: vsNone.settle } : {}),
    },
  ];
}
