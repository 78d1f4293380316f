import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function stalled(args: string[]) {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'bench/memory-probe.ts', ...args],
    { cwd: new URL('..', import.meta.url).pathname },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    textBytes: number;
    heapGrowth: number;
    buffered: number | null;
  };
}

describe('a reader that never reads', () => {
  it('subscribe() with coalesce: heap grows with the text, not with the number of chunks', async () => {
    const r = await stalled(['coalesce', '300000', '1000']);
    console.log(
      `stalled subscriber: ${r.heapGrowth} B heap for ${r.textBytes} B of text; ${r.buffered} events`,
    );
    // Uncoalesced, 300k event objects with their strings would take well over 30 MB.
    expect(r.heapGrowth).toBeLessThan(3 * r.textBytes);
    expect(r.buffered).toBe(600); // one merged delta and one complete per unread generation
  });

  it('the stream() backlog stays within bufferSize whatever is produced', async () => {
    const r = await stalled(['backlog', '300000', '100']);
    console.log(`stream() backlog: ${r.heapGrowth} B heap for ${r.textBytes} B of text`);
    // 1024 events at most: about 512 generations of 800 B each.
    expect(r.heapGrowth).toBeLessThan(2_000_000);
  });
});
