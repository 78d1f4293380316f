import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documents, guides } from './readme/documents.js';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
/** `https://github.com/<owner>/<name>`, from package.json's `repository`: the one place it is written. */
const repo = String(pkg.repository?.url ?? '')
  .replace(/^git\+/, '')
  .replace(/\.git$/, '');
const linksOf = (markdown: string) =>
  [...markdown.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => ({ image: m[1] === '!', url: m[2]! }));
const targets = linksOf(readme);

/** The anchors GitHub gives a document's headings: lower case, punctuation dropped, spaces as `-`. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, title] of markdown.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6}\s+(.*)$/gm)) {
    const slug = title!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

describe('the README read on the npm page', () => {
  it('package.json names the repository, its homepage and its issues, consistently', () => {
    expect(repo).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
    expect(pkg.repository.type).toBe('git');
    expect(pkg.homepage).toBe(`${repo}#readme`);
    expect(pkg.bugs.url).toBe(`${repo}/issues`);
  });

  it('every link and image is absolute (the tarball ships no docs/, examples/ or src/), and points at a file of this repository', () => {
    const [, owner, name] = /github\.com\/([^/]+)\/([^/]+)$/.exec(repo)!;
    const inRepo = new RegExp(
      `^(?:https://github\\.com/${owner}/${name}/(?:blob|tree)/main/|https://raw\\.githubusercontent\\.com/${owner}/${name}/main/)(.+)$`,
    );
    expect(targets.length).toBeGreaterThan(0);
    for (const { image, url } of targets) {
      if (url.startsWith('#')) continue; // an anchor in the README itself works anywhere
      expect(url, 'relative links break on the npm page: use the repository URL').toMatch(/^https:\/\//);
      const path = inRepo.exec(url)?.[1]?.split('#')[0];
      if (path === undefined) {
        expect(image, `${url}: images come from this repository`).toBe(false);
        continue;
      }
      expect(existsSync(join(root, path)), `${url}: no such file in the repository`).toBe(true);
      if (image)
        expect(url, 'images load from raw.githubusercontent.com').toContain('raw.githubusercontent.com');
      if (url.includes('/tree/')) expect(statSync(join(root, path)).isDirectory(), url).toBe(true);
    }
  });

  it('is at most 300 lines: what a new user reads in five minutes (the rest is in docs/)', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(300);
  });
});

describe('the guides in docs/, read on GitHub', () => {
  it('the README links every guide', () => {
    for (const guide of guides()) expect(readme, guide.path).toContain(`/blob/main/${guide.path}`);
  });

  it('every link to a file of this repository finds it, and every anchor a heading of the file it points at', () => {
    const inRepo = /^https:\/\/github\.com\/[^/]+\/[^/]+\/(?:blob|tree)\/main\/([^#]*)(?:#(.*))?$/;
    for (const doc of documents()) {
      for (const { url } of linksOf(doc.text)) {
        let path: string;
        let anchor: string | undefined;
        const absolute = inRepo.exec(url);
        if (absolute) [, path, anchor] = absolute as unknown as [string, string, string | undefined];
        else if (/^[a-z]+:/.test(url))
          continue; // another site
        else {
          const [file, hash] = url.split('#');
          path = file === '' ? doc.path : normalize(join(dirname(doc.path), file!));
          anchor = hash;
        }
        expect(existsSync(join(root, path)), `${doc.path}: ${url}: no such file`).toBe(true);
        if (anchor !== undefined && path.endsWith('.md')) {
          const target = readFileSync(join(root, path), 'utf8');
          expect([...anchorsOf(target)], `${doc.path}: ${url}: no such heading`).toContain(anchor);
        }
      }
    }
  });
});
