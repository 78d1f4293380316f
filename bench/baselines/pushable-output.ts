import { type Pushable, pushable } from 'it-pushable';

/** The same sink on `it-pushable`, a popular, well-tuned async queue, as a second baseline. */
type Event =
  | { type: 'text_delta'; delta: string; accumulated: string }
  | { type: 'text_complete'; text: string };

export class PushableOutput {
  private accumulated = '';
  readonly events: Pushable<Event> = pushable<Event>({ objectMode: true });

  async captureText(text: string): Promise<void> {
    this.accumulated += text;
    this.events.push({ type: 'text_delta', delta: text, accumulated: this.accumulated });
  }

  flush(): void {
    this.events.push({ type: 'text_complete', text: this.accumulated });
    this.events.end();
    this.accumulated = '';
  }
}
