import { describe, expect, it } from 'vitest';
import { Paragraphs } from '../../src/react/streaming-text.js';

describe("the React renderer's paragraphs (StreamingText)", () => {
  it('splits after each line feed, across segments, keeping every character', () => {
    const p = new Paragraphs();
    p.update(['Hello wor', 'ld.\n\nSecond', ' para']);
    expect(p.closed).toEqual([['Hello wor', 'ld.\n'], ['\n']]);
    expect(p.open).toEqual(['Second', ' para']);
    expect([...p.closed.flat(), ...p.open].join('')).toBe('Hello world.\n\nSecond para');
  });

  it('only splits the segments it has not seen, and keeps closed paragraphs as they were', () => {
    const p = new Paragraphs();
    const segments = ['a\n', 'b'];
    p.update(segments);
    const first = p.closed[0];
    p.update([...segments, 'c\n', 'd']);
    expect(p.closed[0]).toBe(first);
    expect(p.closed).toEqual([['a\n'], ['b', 'c\n']]);
    expect(p.open).toEqual(['d']);
  });

  it('starts over when the text was replaced', () => {
    const p = new Paragraphs();
    p.update(['Hel', 'lo\n', 'x']);
    p.update(['Hello\n']);
    expect(p.closed).toEqual([['Hello\n']]);
    expect(p.open).toEqual([]);
  });
});
