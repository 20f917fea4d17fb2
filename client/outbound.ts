/**
 * The client's own QoS 1/2 publishes (PROTOCOL §4, client to server), kept in the outbox
 * until answered and sent again, with the same id and `dup: true`, after the ack timeout
 * (doubling up to a cap) and after every reconnect:
 *
 *   QoS 1:  put ─▶ publish ◀─┐ timeout ─▶ msgack: delete, resolve
 *                 (dup) ─────┘
 *   QoS 2:  put ─▶ publish ◀─┐ timeout ─▶ pubrec: step 'completion', pubrel ◀─┐ timeout ─▶ msgack: delete, resolve
 *                 (dup) ─────┘                                      (again) ──┘
 *
 * After pubrec only pubrel is resent, never the publish: the server holds the message then,
 * and a pubrel hands it on exactly once. An `error` frame naming the id rejects the publish
 * (and drops it), except `INTERNAL` and `RATE_LIMITED`, after which it is simply resent.
 *
 * A publish whose frame API Gateway would close the connection for (over 32 KB) is refused
 * before it is stored or sent; one the server answered by closing with 1009 all the same (a
 * gateway with a lower limit) is failed, never resent: resending it could only loop.
 */
import { FrameTooLargeError, isRetryable, MessageExpiredError, ServerRefusedError } from './errors.js';
import { frameBytes, MAX_FRAME_BYTES, oversizeFrame } from './frame-size.js';
import { encodeClientFrame, type BatchMessageFrame, type ClientFrame, type Qos, type ServerFrameOf } from './frames.js';
import type { IdProvider } from './ids.js';
import type { OutboxBatchMessage, OutboxEntry, OutboxStore } from './outbox.js';
import type { Clock, TimerHandle, Timers } from './timers.js';

export interface OutboundOptions {
  /** First resend of an unanswered step (default 10 s, the server's own ack timeout). */
  ackTimeoutMs: number;
  /** The doubling stops here (default 60 s). */
  resendCapMs: number;
}

export interface OutboundDeps {
  outbox: OutboxStore;
  ids: IdProvider;
  clock: Clock;
  timers: Timers;
  /** Writes a frame; false when no connection is open (the frame then waits for `resendAll`). */
  send(frame: ClientFrame): boolean;
  /** A failure nobody awaits (an outbox write for an entry from an earlier run). */
  reportError(error: unknown): void;
}

interface Inflight {
  entry: OutboxEntry;
  /** Sends of the current step on the wire. */
  sends: number;
  /** Loaded from the store: an earlier run may have sent it, so it goes out as a dup. */
  restored: boolean;
  timer?: TimerHandle;
  settle?: { resolve(): void; reject(error: Error): void };
}

export class Outbound {
  private readonly inflight = new Map<string, Inflight>();
  /** Publish frames written on the current connection: id -> bytes (the suspects of a close 1009). */
  private readonly onWire = new Map<string, number>();
  private restoring: Promise<void> | undefined;
  private paused = false;

  constructor(
    private readonly deps: OutboundDeps,
    private readonly options: OutboundOptions,
  ) {}

  /** Loads what an earlier run left in the outbox (once), so `resendAll` sends it too. */
  restore(): Promise<void> {
    this.restoring ??= this.deps.outbox.list().then((entries) => {
      for (const entry of entries) if (!this.inflight.has(entry.id)) this.inflight.set(entry.id, { entry, sends: 0, restored: true });
    });
    return this.restoring;
  }

  /** Stores, sends, and resolves when the server has answered the last step. */
  async publish(controller: string, topic: string, data: unknown, qos: Exclude<Qos, 0>, retain: boolean, expiry?: number): Promise<void> {
    const entry: OutboxEntry = {
      id: this.deps.ids.next(),
      controller,
      topic,
      data,
      qos,
      retain,
      awaiting: qos === 1 ? 'msgack' : 'pubrec',
      createdAt: this.deps.clock.now(),
      ...(expiry !== undefined ? { expiry } : {}),
    };
    return this.start(entry);
  }

  /**
   * A batched publish (PROTOCOL §2 `messages`): one entry, one frame, one id, answered once
   * (QoS 1 `msgack`, QoS 2 completion). Resent whole, with the same id, like a single publish.
   */
  async publishBatch(messages: readonly OutboxBatchMessage[], qos: Exclude<Qos, 0>): Promise<void> {
    const first = messages[0];
    if (first === undefined) throw new TypeError('a batched publish needs at least one message');
    const entry: OutboxEntry = {
      id: this.deps.ids.next(),
      controller: first.controller,
      topic: first.topic,
      data: null,
      qos,
      retain: false,
      awaiting: qos === 1 ? 'msgack' : 'pubrec',
      createdAt: this.deps.clock.now(),
      messages: messages.map((m) => ({ ...m })),
    };
    return this.start(entry);
  }

  private async start(entry: OutboxEntry): Promise<void> {
    // Measured in its longest form on the wire (`"dup":false`, the first send).
    const oversize = oversizeFrame(encodeClientFrame(publishFrame(entry, false, entry.createdAt) as ClientFrame), entry.id);
    if (oversize) throw oversize;
    // Stored before it is sent: an answer can only come for something the outbox holds.
    await this.deps.outbox.put(entry);
    return new Promise<void>((resolve, reject) => {
      const flight: Inflight = { entry, sends: 0, restored: false, settle: { resolve, reject } };
      this.inflight.set(entry.id, flight);
      if (!this.paused) this.transmit(flight);
    });
  }

  /** After (re)connecting: every open publish again, in the order published. */
  resendAll(): void {
    for (const flight of this.inflight.values()) this.transmit(flight);
  }

  /** While paused (a clean session draining before it re-opens), new publishes wait in the outbox. */
  pause(paused: boolean): void {
    this.paused = paused;
  }

  /** Publishes sent and not answered yet. */
  get unanswered(): number {
    return [...this.inflight.values()].filter((f) => f.sends > 0 || f.restored).length;
  }

  get size(): number {
    return this.inflight.size;
  }

  /** `msgack` from the server: QoS 1 done, or QoS 2 complete (PROTOCOL §4). */
  async onMsgack(frame: ServerFrameOf<'msgack'>): Promise<void> {
    const flight = this.inflight.get(frame.id);
    // A msgack for a QoS 2 publish not yet pubrec'd would be out of order: ignored.
    if (!flight || flight.entry.awaiting === 'pubrec') return;
    this.forget(flight);
    await this.deps.outbox.delete(flight.entry.id).catch((error: unknown) => this.deps.reportError(error));
    flight.settle?.resolve();
  }

  /** `pubrec` from the server: it holds the QoS 2 message; release it (PROTOCOL §4). */
  async onPubrec(frame: ServerFrameOf<'pubrec'>): Promise<void> {
    const flight = this.inflight.get(frame.id);
    if (!flight) {
      // Not ours any more (an outbox lost with a restart): releasing is what lets the server
      // hand it on and forget it, rather than keep it to its TTL.
      this.deps.send({ action: 'pubrel', id: frame.id });
      return;
    }
    if (flight.entry.awaiting === 'pubrec') {
      // The server read the publish: it cannot be what a later close 1009 answers.
      this.onWire.delete(flight.entry.id);
      flight.entry = { ...flight.entry, awaiting: 'completion' };
      flight.sends = 0;
      // Stored before pubrel goes out: after a restart it must be the pubrel that is resent.
      await this.deps.outbox.put(flight.entry).catch((error: unknown) => this.deps.reportError(error));
    }
    if (this.inflight.get(frame.id) === flight) this.transmit(flight);
  }

  /** An `error` frame: true if it named one of these publishes. */
  async onError(frame: ServerFrameOf<'error'>): Promise<boolean> {
    const flight = frame.id === undefined ? undefined : this.inflight.get(frame.id);
    if (!flight || (frame.action !== undefined && frame.action !== 'publish' && frame.action !== 'pubrel')) return false;
    if (isRetryable(frame.code)) return true; // the resend timer sends it again
    await this.fail(flight, new ServerRefusedError(frame.code, frame.message, frame.action, frame.id));
    return true;
  }

  /**
   * The server closed the connection with 1009 (a frame too large for it): the largest publish
   * written on that connection and not answered is failed with FrameTooLargeError and dropped,
   * not resent. True if there was one (else the frame was not one of these publishes).
   * Call before `suspend`.
   */
  async frameRefused(reason: string): Promise<boolean> {
    const [id, bytes] = [...this.onWire].sort((a, b) => b[1] - a[1])[0] ?? [];
    const flight = id === undefined ? undefined : this.inflight.get(id);
    if (!flight || bytes === undefined) return false;
    await this.fail(flight, new FrameTooLargeError(bytes, MAX_FRAME_BYTES, flight.entry.id, reason));
    return true;
  }

  /** The connection is gone: stop the resend timers (the entries wait for `resendAll`). */
  suspend(): void {
    this.onWire.clear();
    for (const flight of this.inflight.values()) this.clearTimer(flight);
  }

  /** The client is closing: every promise rejects; the outbox keeps the entries for a later run. */
  close(error: Error): void {
    for (const flight of this.inflight.values()) {
      this.clearTimer(flight);
      flight.settle?.reject(error);
    }
    this.inflight.clear();
  }

  private transmit(flight: Inflight): void {
    this.clearTimer(flight);
    const { entry } = flight;
    const frame = entry.awaiting === 'completion' ? { action: 'pubrel' as const, id: entry.id } : publishFrame(entry, flight.sends > 0 || flight.restored, this.deps.clock.now());
    // PROTOCOL §4: its time ran out before the server took it; nobody would be sent it.
    if (frame === undefined) return void this.fail(flight, new MessageExpiredError(entry.id));
    if (frame.action === 'publish') {
      // An entry an earlier run (or an older version) stored may be too large to send at all.
      const text = encodeClientFrame(frame);
      const oversize = oversizeFrame(text, entry.id);
      if (oversize) return void this.fail(flight, oversize);
      if (!this.deps.send(frame)) return; // resent on the next open
      this.onWire.set(entry.id, frameBytes(text));
    } else if (!this.deps.send(frame)) return;
    flight.sends += 1;
    const { ackTimeoutMs, resendCapMs } = this.options;
    // A cap below the timeout would make the first resend come early: the timeout wins.
    const delay = Math.min(Math.max(resendCapMs, ackTimeoutMs), ackTimeoutMs * 2 ** Math.min(flight.sends - 1, 30));
    flight.timer = this.deps.timers.setTimeout(() => {
      flight.timer = undefined;
      if (this.inflight.get(entry.id) === flight) this.transmit(flight);
    }, delay);
  }

  /** Drops a publish that can never succeed: out of the outbox, its promise rejected (or, restored, the error reported). */
  private async fail(flight: Inflight, error: Error): Promise<void> {
    this.forget(flight);
    await this.deps.outbox.delete(flight.entry.id).catch((failure: unknown) => this.deps.reportError(failure));
    if (flight.settle) flight.settle.reject(error);
    else this.deps.reportError(error);
  }

  private forget(flight: Inflight): void {
    this.clearTimer(flight);
    this.inflight.delete(flight.entry.id);
    this.onWire.delete(flight.entry.id);
  }

  private clearTimer(flight: Inflight): void {
    if (flight.timer !== undefined) this.deps.timers.clearTimeout(flight.timer);
    flight.timer = undefined;
  }
}

/**
 * The publish frame of an entry as sent at `now` (PROTOCOL §2); `retain` only when set; `expiry`
 * (PROTOCOL §4) the whole seconds it has left, so a resend does not make it live longer.
 * Undefined once its expiry has passed.
 */
function publishFrame(entry: OutboxEntry, dup: boolean, now: number): ClientFrame | undefined {
  if (entry.messages !== undefined) return batchFrame(entry, entry.messages, dup, now);
  let expiry: { expiry?: number } = entry.expiry !== undefined ? { expiry: entry.expiry } : {};
  // Only a valid expiry counts down; any other is sent as given, for the server to refuse by its rule.
  if (entry.expiry !== undefined && Number.isInteger(entry.expiry) && entry.expiry >= 1) {
    const left = Math.ceil((entry.createdAt + entry.expiry * 1000 - now) / 1000);
    if (left < 1) return undefined;
    expiry = { expiry: Math.min(entry.expiry, left) };
  }
  return {
    action: 'publish',
    controller: entry.controller,
    topic: entry.topic,
    data: entry.data,
    qos: entry.qos,
    id: entry.id,
    ...(entry.retain ? { retain: true } : {}),
    dup,
    ...expiry,
  };
}

/**
 * A batch entry's frame as sent at `now`: each message's expiry counted down as a single
 * publish's; a message whose expiry has passed is left out (nobody would be sent it). Undefined
 * once every message has expired.
 */
function batchFrame(entry: OutboxEntry, messages: readonly OutboxBatchMessage[], dup: boolean, now: number): ClientFrame | undefined {
  const live: BatchMessageFrame[] = [];
  for (const message of messages) {
    const { retain, expiry, ...rest } = message;
    let left = expiry;
    if (expiry !== undefined && Number.isInteger(expiry) && expiry >= 1) {
      const seconds = Math.ceil((entry.createdAt + expiry * 1000 - now) / 1000);
      if (seconds < 1) continue;
      left = Math.min(expiry, seconds);
    }
    live.push({ ...rest, ...(retain === true ? { retain: true } : {}), ...(left !== undefined ? { expiry: left } : {}) });
  }
  if (live.length === 0) return undefined;
  return { action: 'publish', qos: entry.qos, id: entry.id, dup, messages: live };
}
