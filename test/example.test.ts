import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('the README example runs offline as written (npm run example)', async () => {
  const { stdout } = await run('npm', ['run', '--silent', 'example'], {
    cwd: new URL('..', import.meta.url).pathname,
  });
  expect(stdout).toContain('generation 1 complete: "Hi! I stream my replies a few characters at a time."');
  // Both generations of the tool-call run, each before its run finishes.
  expect(stdout).toMatch(
    /generation 2 complete: "Let me check that for you\."\n\[It \].*\n {2}✓ generation 3 complete: "It is sunny in Paris today\."\n {2}run finished with 4 events/,
  );
});
