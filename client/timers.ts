/**
 * Time as ports, as MQTT.js does it: the client never calls `setTimeout` or `Date.now()`
 * itself, so tests drive backoff, pings, ack coalescing and resends with a fake clock.
 */

/** An opaque timer handle. */
export type TimerHandle = unknown;

export interface Timers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The platform's timers (browser and Node alike). */
export const systemTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

export const systemClock: Clock = { now: () => Date.now() };
