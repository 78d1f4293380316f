/** 1,024 distinct 8-character chunks, made once, so no benchmark measures string building. */
export const CHUNKS: readonly string[] = Array.from(
  { length: 1024 },
  (_, i) => `w${String(i).padStart(6, '0')} `,
);
export const chunk = (i: number) => CHUNKS[i & 1023]!;
