/**
 * The Chromium rows' contestant names, shared by the scenario that measures them
 * (`scenarios/browser-page.ts`) and the figures that quote them (`figures.ts`), so a renamed
 * contestant cannot leave a quoted figure behind.
 */
import { HOOK_COALESCE_MS } from '../src/react/index.js';

/** The window the plain page and the demo page ask for: the one the React hook asks for by default. */
export const PAGE_WINDOW_MS = HOOK_COALESCE_MS;
/** The minimal renderer page with the hook's defaults. */
export const RENDERER = `minimal page, StreamingText renderer, the hook's default (coalesceMs ${HOOK_COALESCE_MS})`;
/** The same page asking for no window: one WebSocket message per delta. */
export const RENDERER_NO_WINDOW = 'minimal page, StreamingText renderer, coalesceMs 0 (no window)';
export const USE_CHAT_PAGE = '/ai-sdk demo page (useChat)';
export const DEMO_PAGE = 'demo page (useStreamingAgent)';
