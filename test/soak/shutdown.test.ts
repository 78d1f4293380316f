import { describe, expect, it } from 'vitest';
import { runProbe } from './probe.js';
import { report, size } from './size.js';

describe('shutdown under load', () => {
  it('server.close() with clients mid-stream resolves, closes each with 1001, and leaves nothing running', async () => {
    const clients = size(30, 200);
    const { result, code, exitedBySelf } = await runProbe(
      'test/soak/shutdown-probe.ts',
      [String(clients)],
      120_000,
    );
    report('shutdown under load', result);
    expect(result.all1001).toBe(true);
    expect(result.midStreamWhenClosed).toBe(clients);
    expect(result.activeSessions).toBe(0);
    // The process exits by itself once the server has closed: nothing is left running.
    expect(exitedBySelf).toBe(true);
    expect(code).toBe(0);
  }, 180_000);
});
