/**
 * The gate: what every HTTP request and upgrade the package answers goes through, on every front
 * end (the protocol's WebSocket server, the AI SDK's HTTP and WebSocket endpoints). Targets are
 * parsed without throwing, anything that is not a path is answered 400, and refusals are written
 * one way.
 */
export { type AppAnswer, askApp } from './ask-app.js';
export { goAway } from './going-away.js';
export { type AllowedOrigins, originAllowed } from './origin.js';
export {
  BAD_TARGET,
  FORBIDDEN,
  NOT_FOUND,
  refuseRequest,
  refuseUpgrade,
  SERVICE_UNAVAILABLE,
} from './refuse.js';
export { ConnectionSlots } from './slots.js';
export { decodeSegment, parseTarget, type RequestTarget } from './target.js';
export { refuseUnclaimedUpgrade } from './unclaimed.js';
