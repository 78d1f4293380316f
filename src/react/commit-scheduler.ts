/** Runs `commit` later, once: the store calls it at most once until `commit` has run. */
export type CommitScheduler = (commit: () => void) => void;

/** A hidden tab gets no animation frames: commit anyway after this long, so turns still end. */
const HIDDEN_TAB_FALLBACK_MS = 250;

/**
 * Once per animation frame, so the page renders no more often than it can paint; with
 * `throttleMs`, at most once per that many milliseconds (the timer starts at the first change
 * after a commit). Where there are no animation frames (Node, a worker), every 16 ms.
 */
export function frameScheduler(throttleMs: number | undefined): CommitScheduler {
  if (throttleMs === undefined && typeof requestAnimationFrame === 'function') {
    return (commit) => {
      let done = false;
      const once = () => {
        if (done) return;
        done = true;
        cancelAnimationFrame(frame);
        clearTimeout(timer);
        commit();
      };
      const frame = requestAnimationFrame(once);
      const timer = setTimeout(once, HIDDEN_TAB_FALLBACK_MS);
    };
  }
  const delay = throttleMs ?? 16;
  return (commit) => {
    setTimeout(commit, delay);
  };
}
