import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('npm run bench works end to end at a tiny size (--smoke)', async () => {
  const { stdout } = await run('npm', ['run', '--silent', 'bench', '--', '--smoke'], {
    cwd: new URL('..', import.meta.url).pathname,
    maxBuffer: 16 * 1024 * 1024,
  });
  const written = /wrote (\S+results\.json) and (\S+BENCHMARKS\.md)/.exec(stdout);
  expect(written).not.toBeNull();
  const report = JSON.parse(readFileSync(written![1]!, 'utf8')) as {
    rows: Array<{ scenario: string; contestant: string; value: number; pass?: boolean; bar?: string }>;
  };
  const scenarios = new Set(report.rows.map((r) => r.scenario.split('.')[0]));
  expect([...scenarios].sort((a, b) => Number(a) - Number(b))).toEqual([
    '1',
    '2',
    '3',
    '4',
    '5',
    '6',
    '7',
    '8',
    '9',
    '10',
    '11',
    '12',
  ]);
  expect(report.rows.every((r) => Number.isFinite(r.value))).toBe(true);
  // Behaviour, not speed: every reply arrived intact, also the slow client's.
  const integrity = report.rows.filter(
    (r) => r.bar?.includes('intact') || r.bar?.includes('receives all text'),
  );
  expect(integrity).toHaveLength(2);
  // The Chromium pages showed every character of the reply, with and without a tool call.
  const onScreen = report.rows.filter((r) => r.bar?.includes('chars'));
  expect(onScreen).toHaveLength(2);
  expect(onScreen.every((r) => r.pass)).toBe(true);
  expect(integrity.every((r) => r.pass)).toBe(true);
  const markdown = readFileSync(written![2]!, 'utf8');
  expect(markdown).toContain('| scenario | contestant |');
  // The capacity section, and a spread after every ratio measured over more than one sample.
  expect(markdown).toContain('## Capacity');
  expect(report.rows.filter((r) => r.scenario.startsWith('10. capacity')).length).toBeGreaterThan(0);
  // Issue 21: the core is measured against our own release, and the delivery window per window.
  expect(report.rows.find((r) => r.contestant === 'core vs our last release')?.bar).toBe(
    '≥ 1.0× our last release',
  );
  expect(report.rows.filter((r) => r.scenario.includes('delivery window')).map((r) => r.contestant)).toEqual([
    'framework alone',
    'ours, coalesceMs 0',
    'ours, coalesceMs 16',
  ]);
}, 300_000);
