import { describe, expect, it } from 'vitest';
import { CLIENT_CLOSE_CODE, CLIENT_ERROR_CODES, CLOSE_CODES, ERROR_CODES } from '../src/client/index.js';
import * as server from '../src/server/index.js';
import { startServer } from './helpers/server.js';
import { TestClient } from './helpers/ws-client.js';
import { documents } from './readme/documents.js';

/** The README and its guides (docs/*.md), where the protocol's reference lives. */
const readme = documents()
  .map((d) => d.text)
  .join('\n\n');
/** The text from `start` up to the next blank line. */
const section = (start: string) => {
  const at = readme.indexOf(start);
  expect(at, start).toBeGreaterThanOrEqual(0);
  return readme.slice(at, readme.indexOf('\n\n', at + start.length));
};

describe('error and close codes, split by the side that sends them', () => {
  it("the README's error table lists exactly the codes the server sends", () => {
    const table = readme.slice(readme.indexOf('Error codes (stable'), readme.indexOf('Close codes:'));
    const codes = [...table.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
    expect(codes.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('the client codes are the client’s own: none is a server code, the README names each', () => {
    for (const code of Object.keys(CLIENT_ERROR_CODES)) {
      expect(code in ERROR_CODES, code).toBe(false);
      expect(section('The client reports problems of its own'), code).toContain(`\`${code}\``);
    }
  });

  it("the README's close codes are exactly the ones the server sends, and the client's", () => {
    const sentence = section('Close codes:');
    const listed = [...sentence.matchAll(/\b(1\d{3})\b/g)].map((m) => Number(m[1]));
    expect([...new Set(listed)].sort()).toEqual(
      [...new Set([...Object.values(CLOSE_CODES), CLIENT_CLOSE_CODE, 1006])].sort(),
    );
    // 1006 is not sent by anyone: it is what a peer sees when the heartbeat terminates a dead socket.
    expect(sentence).toMatch(/1006 seen by a\s+peer/);
  });

  it('the server entry point exports the same constants as the client', () => {
    expect(server.CLOSE_CODES).toBe(CLOSE_CODES);
    expect(server.ERROR_CODES).toBe(ERROR_CODES);
  });

  it('a session that cannot start: session_failed, then closed with CLOSE_CODES.internalError (1011)', async () => {
    const failing = await startServer({
      createAgent: () => {
        throw new Error('no agent today');
      },
      onError: () => undefined,
    });
    const client = new TestClient(failing.url);
    expect(await client.closed).toBe(CLOSE_CODES.internalError);
    expect(client.frames).toEqual([
      { type: 'error', code: 'session_failed', message: ERROR_CODES.session_failed },
    ]);
  });
});
