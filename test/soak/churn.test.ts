import { describe, expect, it } from 'vitest';
import { runProbe } from './probe.js';
import { report, size } from './size.js';

describe('churn', () => {
  it('connect → message → disconnect at a random point, many times: nothing leaks', async () => {
    const cycles = size(200, 1000);
    const { result, code, exitedBySelf } = await runProbe(
      'test/soak/churn-probe.ts',
      [String(cycles), '10'],
      600_000,
    );
    report('churn', result);
    expect(code).toBe(0);
    expect(exitedBySelf).toBe(true);
    expect(result.unexpected).toEqual([]);
    expect(result.sessionsAfter).toBe(0);
    expect(result.heapGrowthMB as number).toBeLessThan(10);
    // No socket, server or timer of ours is left once the server has closed.
    expect((result.resourcesAfterClose as string[]).filter((r) => /TCP|Timeout|Immediate/.test(r))).toEqual(
      [],
    );
    const kinds = result.kinds as Record<string, number>;
    expect(kinds['mid-stream']).toBeGreaterThan(cycles / 2);
  }, 600_000);
});
