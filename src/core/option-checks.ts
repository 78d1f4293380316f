/**
 * Construction-time checks for options, in one error style (the one `ws` uses): a `TypeError` for a
 * wrong type or a missing required option, a `RangeError` for a number out of range, and a message
 * that names the option and the value received. A bad option fails where it is written, not at the
 * first connection or the first chunk.
 */

/** The longest delay Node's timers honour; a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object')
    return `an instance of ${value.constructor?.name ?? 'Object'}`;
  return String(value);
}

/** Checks options of one constructor or factory; `owner` prefixes every message. */
export class OptionChecks {
  constructor(private readonly owner: string) {}

  typeError(name: string, expected: string, value: unknown): TypeError {
    return new TypeError(`${this.owner}: option \`${name}\` must be ${expected}; received ${show(value)}`);
  }

  rangeError(name: string, expected: string, value: unknown): RangeError {
    return new RangeError(`${this.owner}: option \`${name}\` must be ${expected}; received ${show(value)}`);
  }

  /** A whole number within [min, max]; `fallback` when undefined. */
  integer(
    name: string,
    value: unknown,
    fallback: number,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ): number {
    if (value === undefined) return fallback;
    const expected =
      max === Number.MAX_SAFE_INTEGER ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`;
    if (typeof value !== 'number') throw this.typeError(name, expected, value);
    if (!Number.isInteger(value) || value < min || value > max) throw this.rangeError(name, expected, value);
    return value;
  }

  /** A delay in milliseconds that Node's timers can honour. */
  milliseconds(name: string, value: unknown, fallback: number, min = 1): number {
    return this.integer(name, value, fallback, min, MAX_TIMER_MS);
  }

  /** A finite number > `above`. */
  positive(name: string, value: unknown, above = 0): number {
    const expected = `a finite number > ${above}`;
    if (typeof value !== 'number') throw this.typeError(name, expected, value);
    if (!Number.isFinite(value) || value <= above) throw this.rangeError(name, expected, value);
    return value;
  }

  string(name: string, value: unknown): string | undefined {
    if (value !== undefined && typeof value !== 'string') throw this.typeError(name, 'a string', value);
    return value;
  }

  boolean(name: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw this.typeError(name, 'a boolean', value);
    return value;
  }

  // biome-ignore lint/complexity/noBannedTypes: any callable is fine here
  fn<T extends Function>(name: string, value: unknown, required = false): T | undefined {
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'function') throw this.typeError(name, 'a function', value);
    return value as T;
  }

  oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      throw this.typeError(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
    }
    return value as T;
  }
}
