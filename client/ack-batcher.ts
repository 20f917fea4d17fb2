import { MAX_ACK_IDS } from './frames.js';
import type { TimerHandle, Timers } from './timers.js';

/**
 * Coalesces acks: ids acked within `windowMs` of the first go out as one
 * `{"action":"msgack","ids":[...]}` frame (PROTOCOL §2), at most 100 ids a frame (the
 * server's limit), so a burst of messages costs one Lambda invocation, not one per message.
 *
 * Ids are kept while the connection is down and flushed when it is back (`flush` is called
 * on open, before `resume`): for a persistent session that saves the server resending them.
 */
export class AckBatcher {
  private ids: string[] = [];
  private timer: TimerHandle | undefined;

  constructor(
    private readonly timers: Timers,
    private readonly windowMs: number,
    /** Sends one frame's ids; returns false when there is no open connection to send on. */
    private readonly send: (ids: string[]) => boolean,
  ) {}

  add(id: string): void {
    if (!this.ids.includes(id)) this.ids.push(id);
    if (this.ids.length >= MAX_ACK_IDS) return this.flush();
    if (this.timer === undefined) this.timer = this.timers.setTimeout(() => this.flush(), this.windowMs);
  }

  /** Sends what is waiting now; keeps it for the next open if nothing could be sent. */
  flush(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    while (this.ids.length > 0) {
      const batch = this.ids.slice(0, MAX_ACK_IDS);
      if (!this.send(batch)) return;
      this.ids = this.ids.slice(batch.length);
    }
  }

  get waiting(): number {
    return this.ids.length;
  }

  stop(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
