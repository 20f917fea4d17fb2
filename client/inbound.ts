/**
 * Messages from the server (PROTOCOL §4, server to client), handed to the application with
 * the QoS they came with:
 *
 *   QoS 0:  message ─▶ handlers
 *   QoS 1:  message ─▶ handlers ─(returned)─▶ msgack (coalesced)      threw: no ack, it comes again
 *   QoS 2:  message ─▶ first sight of the id? handlers ─(returned)─▶ remember id ─▶ pubrec
 *           message again (id remembered)   ─▶ pubrec only            threw: no pubrec, it comes again
 *           pubrel ─▶ msgack (coalesced) ─▶ forget the id after `rememberMs`
 *
 * The handler runs at the first receipt of the message, not at pubrel (MQTT's "method B"
 * seen from the receiver): the application gets the data one round trip sooner, and the
 * remembered id keeps it to once however often the message arrives ("A client hands a QoS 2
 * message to its application exactly once, however often it arrives", PROTOCOL §4).
 *
 * The id is written to the store (the outbox's, OutboxStore.putIncoming) after the handler
 * returned and before pubrec goes out, and deleted there when pubrel comes: a process that
 * dies before the server has its pubrec gets the message again after a restart (the server
 * resends it), and with a persistent store (FileOutbox) finds the id and answers pubrec
 * without running the handler again. After pubrel the server sends only pubrel, so from then
 * on the id is remembered in memory only (`rememberMs`). What is left: a crash after the
 * handler returned and before the store write finished runs it again on the restart.
 *
 * Frames are handled one at a time, in arrival order: a pubrel waits for its message's
 * handler, and the application sees messages in the order the server sent them.
 */
import type { AckBatcher } from './ack-batcher.js';
import type { ServerFrameOf } from './frames.js';
import type { HandlerRegistry, InboundMessage } from './handlers.js';
import type { OutboxStore } from './outbox.js';
import type { Clock } from './timers.js';

export interface InboundOptions {
  /** Answer msgack / pubrec / pubrel by itself (default true). Off: every arrival is handed over and nothing answered (a monitor watching resends). */
  autoAck: boolean;
  /** How long a QoS 2 id is remembered after its pubrel (default 60 s). */
  rememberMs: number;
  /** How long a QoS 2 id whose pubrel never came is remembered (default 24 h, the server's message TTL). */
  unreleasedMemoryMs: number;
}

export interface InboundDeps {
  handlers: HandlerRegistry;
  acks: AckBatcher;
  /** Where the QoS 2 ids not yet released are kept (the client's outbox store). */
  store: OutboxStore;
  sendPubrec(id: string): void;
  clock: Clock;
  /** Every message handed to the application (the client's `message` event). */
  delivered(message: InboundMessage): void;
  /** A handler threw (the message was not acknowledged). */
  handlerFailed(error: unknown, message: InboundMessage | undefined): void;
  /** A store write failed (reported; the id is still remembered in memory). */
  reportError(error: unknown): void;
}

export class Inbound {
  /** QoS 2 ids handed to the application, until when they are remembered. */
  private readonly qos2 = new Map<string, { released: boolean; until: number }>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: InboundDeps,
    private readonly options: InboundOptions,
  ) {}

  /** Queues a frame; the promise settles when it has been handled (never rejects). */
  receive(frame: ServerFrameOf<'message'> | ServerFrameOf<'pubrel'>): Promise<void> {
    this.queue = this.queue
      .then(() => (frame.type === 'message' ? this.message(frame) : this.pubrel(frame)))
      // Handler errors are caught where they happen; this keeps the queue alive whatever else fails.
      .catch((error: unknown) => this.deps.handlerFailed(error, undefined));
    return this.queue;
  }

  /**
   * Loads the QoS 2 ids an earlier run left in the store (before the first connection opens:
   * the messages they name may come again on it). Expired ones are dropped from the store.
   */
  async restore(): Promise<void> {
    const now = this.deps.clock.now();
    for (const entry of await this.deps.store.listIncoming()) {
      if (entry.until <= now) await this.deps.store.deleteIncoming(entry.id);
      else if (!this.qos2.has(entry.id)) this.qos2.set(entry.id, { released: false, until: entry.until });
    }
  }

  /** The QoS 2 ids remembered now (for tests and diagnostics). */
  get remembered(): number {
    return this.qos2.size;
  }

  private async message(frame: ServerFrameOf<'message'>): Promise<void> {
    const message: InboundMessage = {
      controller: frame.controller,
      topic: frame.topic,
      data: frame.data,
      qos: frame.qos,
      dup: frame.dup === true,
      retained: frame.retained === true,
      ...(frame.id !== undefined ? { id: frame.id } : {}),
      ...(typeof frame.expiry === 'number' ? { expiry: frame.expiry } : {}),
    };
    const id = frame.id;
    if (!this.options.autoAck || frame.qos === 0 || id === undefined) {
      await this.handOver(message);
      return;
    }
    if (frame.qos === 1) {
      if (await this.handOver(message)) this.deps.acks.add(id);
      return;
    }
    await this.forgetExpired();
    if (!this.qos2.has(id)) {
      if (!(await this.handOver(message))) return;
      const until = this.deps.clock.now() + this.options.unreleasedMemoryMs;
      this.qos2.set(id, { released: false, until });
      // Stored before pubrec: until the server has it, the message may come again, after a restart too.
      await this.deps.store.putIncoming({ id, until }).catch((error: unknown) => this.deps.reportError(error));
    }
    // First sight or a repeat: either way the server is waiting for pubrec.
    this.deps.sendPubrec(id);
  }

  private async pubrel(frame: ServerFrameOf<'pubrel'>): Promise<void> {
    if (!this.options.autoAck) return;
    // Answered even for an id not remembered (forgotten, or from before a restart):
    // msgack completes the server's entry, and the handler has run or never will.
    this.deps.acks.add(frame.id);
    const known = this.qos2.get(frame.id);
    if (known) this.qos2.set(frame.id, { released: true, until: this.deps.clock.now() + this.options.rememberMs });
    // The server has the pubrec: it never sends the message again, so a restart need not know the id.
    await this.deps.store.deleteIncoming(frame.id).catch((error: unknown) => this.deps.reportError(error));
  }

  /** Runs every matching handler; true if none threw. */
  private async handOver(message: InboundMessage): Promise<boolean> {
    this.deps.delivered(message);
    let ok = true;
    for (const handler of this.deps.handlers.match(message.controller, message.topic)) {
      try {
        await handler(message);
      } catch (error) {
        ok = false;
        this.deps.handlerFailed(error, message);
      }
    }
    return ok;
  }

  private async forgetExpired(): Promise<void> {
    const now = this.deps.clock.now();
    for (const [id, memory] of this.qos2) {
      if (memory.until > now) continue;
      this.qos2.delete(id);
      if (!memory.released) await this.deps.store.deleteIncoming(id).catch((error: unknown) => this.deps.reportError(error));
    }
  }
}
