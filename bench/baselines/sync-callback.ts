/**
 * The physical limit of the pattern: the same work per chunk (accumulate, build the event), handed
 * to a synchronous callback with no buffering and no promise per event.
 */
type Event =
  | { type: 'text_delta'; delta: string; accumulated: string }
  | { type: 'text_complete'; text: string };

export class SyncCallbackOutput {
  private accumulated = '';

  constructor(private readonly onEvent: (event: Event) => void) {}

  async captureText(text: string): Promise<void> {
    this.accumulated += text;
    this.onEvent({ type: 'text_delta', delta: text, accumulated: this.accumulated });
  }

  flush(): void {
    this.onEvent({ type: 'text_complete', text: this.accumulated });
    this.accumulated = '';
  }
}
