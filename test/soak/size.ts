/** `npm run test:soak` sets SOAK=full; `npm test` runs the same code at a reduced size. */
export const FULL = process.env.SOAK === 'full';
export const size = <T>(reduced: T, full: T): T => (FULL ? full : reduced);
export const report = (name: string, figures: Record<string, unknown>) =>
  console.log(`[soak${FULL ? '' : ' (reduced)'}] ${name}: ${JSON.stringify(figures)}`);
