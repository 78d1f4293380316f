import { config } from 'zod/v4/core';

// Imported first by the page, before the AI SDK: its zod 4 schemas probe `new Function` as they
// are built, to decide whether to compile their validators, and the page's Content-Security-Policy
// (no 'unsafe-eval') refuses that probe with a console error. Interpreted validators skip it.
// Exported and read by the page: the package says `sideEffects: false`, so a bare import is dropped.
export const zodSettings = config({ jitless: true });
