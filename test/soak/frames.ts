import type { ErrorCode } from '../../src/protocol/frames.js';

/** A small seeded PRNG, so a failing fuzz run can be replayed exactly. */
export function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
  };
}

export type FuzzFrame =
  /** Must be answered by exactly one error frame, with this code and no id. */
  | { kind: 'invalid'; data: string | Buffer; binary: boolean; code: ErrorCode }
  /** A valid message: exactly one result or error carrying `id`. */
  | { kind: 'message'; data: string; id: string }
  /** An interrupt: at most one answer (`nothing_to_interrupt`). */
  | { kind: 'interrupt'; data: string }
  /** Over maxPayload, or not UTF-8: the server closes the connection (1009 / 1007). */
  | { kind: 'closing'; data: string | Buffer; expectedClose: number };

const CONTROL = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('');

/** One generated or mutated frame. */
export function fuzzFrame(random: ReturnType<typeof prng>, n: number, maxPayload: number): FuzzFrame {
  const id = `f${n}`;
  const r = random.int(100);
  const messageText = () =>
    random.pick([
      'hello',
      `tell me ${n}`,
      `ctl${CONTROL}end`,
      'lone \ud800 surrogate \udfff here',
      '👋🏽 e\u0301 日本語',
      'x'.repeat(maxPayload - 200),
    ]);
  if (r < 25) return { kind: 'message', id, data: JSON.stringify({ message: messageText(), id }) };
  if (r < 30) return { kind: 'interrupt', data: '{"type":"interrupt"}' };
  if (r < 33)
    return {
      kind: 'closing',
      data: JSON.stringify({ message: 'y'.repeat(maxPayload + 10) }),
      expectedClose: 1009,
    };
  if (r < 35) return { kind: 'closing', data: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), expectedClose: 1007 };
  // Each generator with the code the protocol says it must get: the oracle, written independently
  // of the server's parser.
  const invalid: Array<[ErrorCode, () => string]> = [
    ['invalid_json', () => '{"message": '],
    ['invalid_json', () => 'not json at all'],
    ['invalid_json', () => ''],
    ['invalid_frame', () => 'null'],
    ['invalid_frame', () => '42'],
    ['invalid_frame', () => '"just a string"'],
    ['invalid_frame', () => '[{"message":"hi"}]'],
    ['invalid_frame', () => `${'['.repeat(3000)}${']'.repeat(3000)}`],
    [
      'invalid_message',
      () => JSON.stringify({ message: JSON.parse(`${'{"a":'.repeat(500)}1${'}'.repeat(500)}`) }),
    ],
    ['invalid_message', () => JSON.stringify({ message: '' })],
    ['invalid_message', () => JSON.stringify({ message: '   \n\t ' })],
    ['invalid_message', () => JSON.stringify({ message: 12 })],
    ['invalid_message', () => JSON.stringify({ message: null })],
    ['invalid_message', () => JSON.stringify({ message: ['hi'] })],
    [
      'unknown_type',
      () => JSON.stringify({ type: random.pick(['dance', 'MESSAGE', '', 'ready', 'result']) }),
    ],
    ['invalid_id', () => JSON.stringify({ message: 'hi', id: random.pick([5, {}, 'z'.repeat(200)]) })],
    ['invalid_json', () => `{"message": "${CONTROL.slice(1, 9)}"}`],
    ['invalid_json', () => JSON.stringify({ message: 'hi' }).slice(0, random.int(14) + 1)],
    ['invalid_json', () => JSON.stringify({ message: 'hi' }).replace('"', "'")],
  ];
  if (r < 45)
    return {
      kind: 'invalid',
      data: Buffer.from(JSON.stringify({ message: 'binary' })),
      binary: true,
      code: 'binary_frame',
    };
  const [code, make] = random.pick(invalid);
  return { kind: 'invalid', data: make(), binary: false, code };
}
