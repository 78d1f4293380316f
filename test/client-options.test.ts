import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { StreamingAgentClient, type StreamingAgentClientOptions } from '../src/client/index.js';

/** Constructs with a deliberately wrong setting, as untyped JavaScript (or a cast) would. */
const make =
  (options: Record<string, unknown>, url: unknown = 'ws://127.0.0.1:1') =>
  () =>
    new StreamingAgentClient(url as string, { WebSocket, ...options } as StreamingAgentClientOptions);

describe('StreamingAgentClient rejects a bad option at construction, naming it and the value', () => {
  it('url: TypeError when missing, not a string, or empty', () => {
    expect(() => new StreamingAgentClient(undefined as never, { WebSocket })).toThrow(
      new TypeError('StreamingAgentClient: url must be a non-empty string, got undefined'),
    );
    expect(make({}, 42)).toThrow(TypeError);
    expect(make({}, '')).toThrow(/url must be a non-empty string, got ""/);
  });

  it('options: TypeError when not an object', () => {
    expect(() => new StreamingAgentClient('ws://x', 'fast' as never)).toThrow(
      new TypeError('StreamingAgentClient: options must be an object, got "fast"'),
    );
  });

  it('WebSocket: TypeError when not a class', () => {
    expect(make({ WebSocket: 'ws' })).toThrow(
      new TypeError('StreamingAgentClient: WebSocket must be a WebSocket class, got "ws"'),
    );
    expect(make({ WebSocket: {} })).toThrow(/WebSocket must be a WebSocket class, got an object/);
  });

  it('protocols: TypeError unless a string or an array of strings', () => {
    expect(make({ protocols: 7 })).toThrow(
      new TypeError('StreamingAgentClient: protocols must be a string or an array of strings, got 7'),
    );
    expect(make({ protocols: ['a', 1] })).toThrow(/protocols .* got an array/);
    expect(make({ protocols: ['chat.v1'] })).not.toThrow();
  });

  it('coalesceMs: TypeError for a non-number, RangeError below 0 or past 1000 ms', () => {
    expect(make({ coalesceMs: '16' })).toThrow(
      new TypeError('StreamingAgentClient: coalesceMs must be a number of milliseconds, got "16"'),
    );
    expect(make({ coalesceMs: -1 })).toThrow(
      new RangeError('StreamingAgentClient: coalesceMs must be between 0 and 1000 ms, got -1'),
    );
    expect(make({ coalesceMs: 1001 })).toThrow(RangeError);
    expect(make({ coalesceMs: Number.NaN })).toThrow(/coalesceMs .* got NaN/);
    expect(make({ coalesceMs: 0 })).not.toThrow();
  });

  it('reconnect: TypeError unless a boolean or an options object', () => {
    expect(make({ reconnect: 'yes' })).toThrow(/reconnect must be a boolean or \{ initialDelayMs.*got "yes"/);
    expect(make({ reconnect: null })).toThrow(TypeError);
    expect(make({ reconnect: true })).not.toThrow();
  });

  it('reconnect.initialDelayMs: TypeError for a non-number, RangeError below 0 or past the timer limit', () => {
    expect(make({ reconnect: { initialDelayMs: '100' } })).toThrow(
      new TypeError(
        'StreamingAgentClient: reconnect.initialDelayMs must be a number of milliseconds, got "100"',
      ),
    );
    expect(make({ reconnect: { initialDelayMs: -1 } })).toThrow(RangeError);
    expect(make({ reconnect: { initialDelayMs: Number.NaN } })).toThrow(/initialDelayMs .* got NaN/);
  });

  it('reconnect.maxDelayMs: RangeError past the timer limit or below initialDelayMs', () => {
    expect(make({ reconnect: { maxDelayMs: 3e9 } })).toThrow(
      new RangeError(
        'StreamingAgentClient: reconnect.maxDelayMs must be between 0 and 2147483647 ms, got 3000000000',
      ),
    );
    expect(make({ reconnect: { initialDelayMs: 500, maxDelayMs: 100 } })).toThrow(
      /maxDelayMs must be at least initialDelayMs \(500\), got 100/,
    );
  });

  it('reconnect.maxAttempts: TypeError for a non-number, RangeError unless a whole number >= 0 or Infinity', () => {
    expect(make({ reconnect: { maxAttempts: '3' } })).toThrow(TypeError);
    expect(make({ reconnect: { maxAttempts: 1.5 } })).toThrow(
      new RangeError(
        'StreamingAgentClient: reconnect.maxAttempts must be a whole number >= 0 (or Infinity), got 1.5',
      ),
    );
    expect(make({ reconnect: { maxAttempts: -1 } })).toThrow(RangeError);
    expect(make({ reconnect: { maxAttempts: Number.POSITIVE_INFINITY } })).not.toThrow();
  });

  it('connectTimeoutMs: TypeError for a non-number, RangeError for 0 or past the timer limit', () => {
    expect(make({ connectTimeoutMs: '5s' })).toThrow(
      new TypeError('StreamingAgentClient: connectTimeoutMs must be a number of milliseconds, got "5s"'),
    );
    expect(make({ connectTimeoutMs: 0 })).toThrow(
      /connectTimeoutMs must be between 1 and 2147483647 ms, got 0/,
    );
    expect(make({ connectTimeoutMs: 2 ** 31 })).toThrow(RangeError);
  });

  it('the defaults and every valid setting construct without touching the network', () => {
    expect(
      make({
        protocols: 'v1',
        reconnect: { initialDelayMs: 0, maxDelayMs: 1000, maxAttempts: 0 },
        connectTimeoutMs: 1,
      }),
    ).not.toThrow();
    expect(make({}).call(null).status).toBe('idle');
  });
});
