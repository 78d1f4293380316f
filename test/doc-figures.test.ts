/**
 * Every benchmark figure the README and docs/performance.md quote is rendered from the committed
 * run (BENCHMARKS.md) by bench/figures.ts: a figure typed or edited by hand, or a new run committed
 * without its figures, fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { benchRows, FIGURE_DOCS, figureBlocks, withFigures } from '../bench/figures.js';

const root = new URL('..', import.meta.url).pathname;
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

describe('the docs quote the committed benchmark run', () => {
  const markdown = read('BENCHMARKS.md');
  const blocks = figureBlocks(markdown);

  it('reads the rows of every table of BENCHMARKS.md, with the Node each ran on', () => {
    const rows = benchRows(markdown);
    expect(rows.length).toBeGreaterThan(50);
    expect(new Set(rows.map((r) => r.node))).toEqual(new Set(['20', '24']));
  });

  for (const doc of FIGURE_DOCS) {
    it(`${doc}: every figure block is what BENCHMARKS.md renders`, () => {
      const text = read(doc);
      const names = [...text.matchAll(/<!-- figures:([\w-]+) -->/g)].map((m) => m[1]!);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect(blocks).toHaveProperty(name);
      expect(withFigures(text, blocks)).toBe(text);
    });
  }

  it('a figure changed by hand is caught', () => {
    const text = read('docs/performance.md');
    const start = text.indexOf('<!-- figures:capacity -->');
    const digit = text.slice(start).search(/\d/) + start;
    const edited = `${text.slice(0, digit)}${(Number(text[digit]) + 1) % 10}${text.slice(digit + 1)}`;
    expect(withFigures(edited, blocks)).not.toBe(edited);
  });
});
