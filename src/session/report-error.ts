/**
 * `onError` always receives an `Error`. The framework reports a failing model as a plain object
 * (`{ type: 'llm_error', label, error, recoverable }`), which prints as `[object Object]`; it becomes
 * an Error whose message says which model failed and why, with the original as `cause`.
 */
export function toError(value: unknown, where: string): Error {
  if (value instanceof Error) return value;
  if (value !== null && typeof value === 'object') {
    const record = value as { label?: unknown; type?: unknown; error?: unknown };
    const inner = record.error;
    const what =
      typeof record.label === 'string' ? record.label : typeof record.type === 'string' ? record.type : where;
    const why =
      inner instanceof Error ? inner.message : inner === undefined ? describe(value) : String(inner);
    return new Error(`${where}: ${what} failed: ${why}`, { cause: value });
  }
  return new Error(`${where} failed: ${String(value)}`, { cause: value });
}

function describe(value: object): string {
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Wraps an app's `onError` so it is only ever called with an Error, and never throws into us. */
export function errorReporter(
  onError: (error: unknown, where: string) => void,
): (error: unknown, where: string) => void {
  return (error, where) => {
    try {
      onError(toError(error, where), where);
    } catch {
      // An app's error handler that throws must not break the connection it reports on.
    }
  };
}
