import type { Qos, ServerFrame } from '../../lambdas/core/types.js';

/** What a simulated client app needs from the world: a way to send a frame, to connect. */
export interface ClientPort {
  /** Sends a frame on the connection (an invocation of its route); `onDone` once the handler returned. */
  send(client: SimClient, connectionId: string, frame: object, onDone?: () => void): void;
  /** Opens a new connection for the client (a takeover if its old one is still open). */
  connect(client: SimClient): void;
}

export interface ClientSpec {
  name: string;
  clientId: string;
  sessionKind: 'clean' | 'persistent';
  claimedQos: Qos;
  /** Opened at connect (`controllers=`), so `invokeToAll` reaches the client. */
  controllers: string[];
  /** Subscriptions the client wants, made after connecting. */
  subscriptions: Array<{ controller: string; topic: string; qos: Qos }>;
}

/** A message the client's application was handed (PROTOCOL §4: QoS 2 exactly once). */
export interface AppDelivery {
  id?: string;
  qos: Qos;
  data: unknown;
  /** The task whose post brought it, for the trace. */
  postedBy: string;
}

interface OutboundPublish {
  id: string;
  qos: 1 | 2;
  frame: Record<string, unknown>;
  /** `publish`: waiting for msgack (QoS 1) or pubrec (QoS 2); `pubrel`: waiting for msgack. */
  step: 'publish' | 'pubrel';
}

/**
 * A client app that obeys PROTOCOL §4, as the client library does:
 * - answers `msgack` to a QoS 1 message and `pubrec` to a QoS 2 one, and `msgack` to `pubrel`;
 * - hands a QoS 2 message to its application once: it keeps the ids received and not yet
 *   completed (kept across reconnects, as a persistent store would) and forgets an id after
 *   pubrel -> msgack;
 * - retries its own QoS 1/2 publishes and pubrels while unanswered (on reconnect, and when the
 *   world says its timer fired);
 * - a persistent client sends `resume` once connected; a clean one subscribes again.
 */
export class SimClient {
  /** The connection the client uses now; frames on any other are not read. */
  connectionId?: string;
  state: 'offline' | 'connecting' | 'open' = 'offline';
  /** The connection on which a `resume` invocation has completed. */
  resumedOn?: string;
  /** Subscriptions answered with suback (a clean session's are per connection). */
  readonly subscribed = new Set<string>();
  /** QoS 2 ids received and not completed: the client's dedup store. */
  readonly incoming = new Set<string>();
  /** QoS 2 ids handed to the application, per session epoch (a clean connect starts a new one). */
  readonly handed = new Map<string, AppDelivery>();
  readonly app: AppDelivery[] = [];
  /** Server ids this client answered msgack for (ends QoS 1, completes QoS 2). */
  readonly acked = new Set<string>();
  readonly outbox = new Map<string, OutboundPublish>();
  /** Set by the world: a QoS 2 id handed to the application a second time. */
  readonly twice: Array<{ id: string; first: AppDelivery; second: AppDelivery }> = [];
  /** Bumped by every clean start: a clean session promises nothing of the one before (PROTOCOL §1). */
  epoch = 0;
  private nextPublish = 0;

  constructor(
    readonly spec: ClientSpec,
    private readonly port: ClientPort,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get sessionId(): string {
    return this.spec.clientId;
  }

  get persistent(): boolean {
    return this.spec.sessionKind === 'persistent';
  }

  /** Connected, resumed (persistent) and subscribed: what the invariants call "a connected session". */
  get ready(): boolean {
    if (this.state !== 'open' || this.connectionId === undefined) return false;
    if (this.persistent && this.resumedOn !== this.connectionId) return false;
    return this.spec.subscriptions.every((s) => this.subscribed.has(subKey(s)));
  }

  /** The world opened a connection for this client (its $connect invocation was spawned). */
  connecting(connectionId: string): void {
    this.connectionId = connectionId;
    this.state = 'connecting';
  }

  /** Its $connect returned 200 and the gateway opened the socket. */
  opened(connectionId: string): void {
    if (this.connectionId !== connectionId) return;
    this.state = 'open';
    if (!this.persistent) {
      // A clean session starts empty (PROTOCOL §1): nothing of the last one is kept.
      this.subscribed.clear();
      this.incoming.clear();
      this.epoch += 1;
    }
    if (this.persistent) {
      this.port.send(this, connectionId, { action: 'resume' }, () => {
        if (this.connectionId === connectionId) this.resumedOn = connectionId;
      });
    }
    this.subscribeMissing();
    this.retry();
  }

  /** The connection closed (network loss, takeover, a refused or dead handshake). */
  closed(connectionId: string): void {
    if (this.connectionId !== connectionId) return;
    this.state = 'offline';
    delete this.connectionId;
  }

  /** Publishes a new QoS 1/2 message (the world picks what). */
  publish(frame: { controller: string; topic: string; data: unknown; qos: 1 | 2 }): void {
    const id = `${this.name}-${++this.nextPublish}`;
    const full = { action: 'publish', ...frame, id };
    this.outbox.set(id, { id, qos: frame.qos, frame: full, step: 'publish' });
    if (this.state === 'open' && this.connectionId) this.port.send(this, this.connectionId, full);
  }

  /** The client's retry timer: sends every unanswered step of its publishes again. */
  retry(): void {
    if (this.state !== 'open' || this.connectionId === undefined) return;
    for (const out of this.outbox.values()) {
      this.port.send(this, this.connectionId, out.step === 'publish' ? { ...out.frame, dup: true } : { action: 'pubrel', id: out.id });
    }
  }

  /** Subscribes again to what has no suback yet (on a new clean connection, or after a lost answer). */
  subscribeMissing(): void {
    if (this.state !== 'open' || this.connectionId === undefined) return;
    for (const s of this.spec.subscriptions) {
      if (!this.subscribed.has(subKey(s))) this.port.send(this, this.connectionId, { action: 'subscribe', ...s });
    }
  }

  /** A frame the gateway delivered on one of the client's connections. */
  receive(connectionId: string, frame: ServerFrame, postedBy: string): void {
    if (connectionId !== this.connectionId || this.state !== 'open') return; // an abandoned socket: never read
    const reply = (answer: object) => this.port.send(this, connectionId, answer);
    switch (frame.type) {
      case 'message': {
        const delivery: AppDelivery = { qos: frame.qos, data: frame.data, postedBy, ...(frame.id !== undefined ? { id: frame.id } : {}) };
        if (frame.qos === 2 && frame.id !== undefined) {
          // PROTOCOL §4: handed to the application once, however often it arrives.
          if (!this.incoming.has(frame.id)) {
            this.incoming.add(frame.id);
            const key = `${this.epoch}/${frame.id}`;
            const first = this.handed.get(key);
            if (first) this.twice.push({ id: frame.id, first, second: delivery });
            else this.handed.set(key, delivery);
            this.app.push(delivery);
          }
          reply({ action: 'pubrec', id: frame.id });
        } else {
          this.app.push(delivery);
          if (frame.qos === 1 && frame.id !== undefined) {
            this.acked.add(frame.id);
            reply({ action: 'msgack', id: frame.id });
          }
        }
        return;
      }
      case 'pubrel':
        // Completion: the id is forgotten and acknowledged (PROTOCOL §4).
        this.incoming.delete(frame.id);
        this.acked.add(frame.id);
        reply({ action: 'msgack', id: frame.id });
        return;
      case 'pubrec': {
        const out = this.outbox.get(frame.id);
        if (out && out.qos === 2) {
          out.step = 'pubrel';
          reply({ action: 'pubrel', id: frame.id });
        }
        return;
      }
      case 'msgack': {
        const out = this.outbox.get(frame.id);
        // A QoS 2 publish ends with the msgack after pubrel; a msgack before is not its answer.
        if (out && (out.qos === 1 || out.step === 'pubrel')) this.outbox.delete(frame.id);
        return;
      }
      case 'suback':
        this.subscribed.add(subKey(frame));
        return;
      default:
        return; // pong, unsuback, error: an error's frame is retried by the timer
    }
  }
}

export function subKey(s: { controller: string; topic: string }): string {
  return `${s.controller}|${s.topic}`;
}
