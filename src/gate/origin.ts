/** Origins allowed to open a socket (exact match), or a predicate. Undefined: any origin. */
export type AllowedOrigins = readonly string[] | ((origin: string | undefined) => boolean);

/**
 * Whether a request's `Origin` header passes `allowedOrigins`. A predicate that throws refuses
 * (reported through `onError`), never crashes the listener.
 */
export function originAllowed(
  allowed: AllowedOrigins | undefined,
  origin: string | undefined,
  onError: (error: unknown, where: string) => void,
): boolean {
  if (allowed === undefined) return true;
  try {
    return typeof allowed === 'function'
      ? Boolean(allowed(origin))
      : origin !== undefined && allowed.includes(origin);
  } catch (error) {
    onError(error, 'allowedOrigins');
    return false;
  }
}
