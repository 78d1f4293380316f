import { describe, expect, it } from 'vitest';

describe('examples/worker.ts', () => {
  it('loads as an agent definition without starting a worker (the CLI runs only when it is the main module)', async () => {
    const { default: agent } = await import('../examples/worker.js');
    expect(typeof agent.entry).toBe('function');
  });
});
