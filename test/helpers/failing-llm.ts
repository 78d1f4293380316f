import { TestLLM } from './scripted-llm.js';

/**
 * A test LLM that, for the message 'fail', streams `partial` and then fails: 'throw' raises an
 * error mid-stream, 'hang' never finishes (until the framework aborts it). Any other message gets
 * `healthy` as a normal reply.
 */
export class FailingLLM extends TestLLM {
  constructor(
    mode: 'throw' | 'hang',
    partial = 'Partial text before the failure. ',
    healthy = 'All good now.',
  ) {
    super(async (message, put, signal) => {
      if (message !== 'fail') {
        put(healthy);
        return;
      }
      for (const word of partial.match(/\S+\s*/g) ?? []) put(word);
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (mode === 'throw') throw new Error('model exploded');
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    }, 'failing-llm');
  }
}
