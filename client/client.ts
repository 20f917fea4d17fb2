/**
 * The qosgate client: one logical connection to the service that acks, deduplicates,
 * resends and reconnects by itself (PROTOCOL §4: "the client library does this by itself").
 *
 *   createClient ─ open() ─▶ connecting ──open──▶ open ──lost──▶ waiting (backoff + jitter) ─┐
 *                               ▲                 │ │                                        │
 *                               └─────────────────┼─┼────────────────────────────────────────┘
 *                                                 │ └─ 1 h 55 min: re-open (persistent: a new
 *                                                 │    connection first, the server closes the
 *                                                 │    old; clean: drain, then reconnect)
 *                                                 └─ every open: flush acks, `resume`
 *                                                    (persistent), resend the outbox,
 *                                                    subscribe again (clean)
 *
 * No timer, clock, id or socket is created here: all come through ClientOptions, so tests
 * drive everything with fakes (test/client/support/).
 */
import { AckBatcher } from './ack-batcher.js';
import { backoffDelay, takeoverDelay } from './backoff.js';
import { TypedEmitter } from './emitter.js';
import { ClientClosedError, ConnectError, ConnectionRefusedError, isFinalRefusal, isTakeoverRefusal, QosgateClientError, ServerRefusedError, SessionTakenOverError } from './errors.js';
import { MAX_FRAME_BYTES, oversizeFrame } from './frame-size.js';
import { decodeServerFrame, encodeClientFrame, type ClientFrame, type Qos, type ServerFrame } from './frames.js';
import { HandlerRegistry, type InboundMessage, type MessageHandler } from './handlers.js';
import { createIdProvider } from './ids.js';
import { Inbound } from './inbound.js';
import { HistoryRequests, type HistoryItem, type HistoryOptions, type HistoryPage } from './history.js';
import { MemoryOutbox } from './memory-outbox.js';
import { DEFAULTS, type ClientOptions } from './options.js';
import { Outbound } from './outbound.js';
import { BATCH_DEFAULTS, MAX_BATCH_MESSAGES, PublishBatcher, splitBatches, wireMessage, type BatchMessage } from './publish-batch.js';
import { Subscriptions } from './subscriptions.js';
import { systemClock, systemTimers, type Clock, type TimerHandle, type Timers } from './timers.js';
import { messageText, READY_STATE, type WebSocketConstructor, type WebSocketLike } from './transport.js';
import { buildConnectUrl, redactUrl } from './url.js';

/** The client's events (`client.events.on('open', ...)`). */
export interface ClientEvents extends Record<string, unknown> {
  /** A connection opened (`reopened`: not the first one). */
  open: { reopened: boolean };
  /** The connection closed; `reconnecting` says whether another follows by itself. */
  close: { code: number; reason: string; reconnecting: boolean };
  /** A reconnect is scheduled after `delayMs`. */
  reconnecting: { attempt: number; delayMs: number };
  /**
   * Another connection with this clientId took the session (the server closed this one right
   * after it opened); `count` in a row. The reconnect waits `delayMs`, longer each time in a row.
   * An `error` event (SessionTakenOverError) says the same, for apps that only log errors.
   */
  takeover: { clientId: string; count: number; delayMs: number };
  /** Every message handed to the application (whether or not a handler matched). */
  message: InboundMessage;
  /** Something went wrong that no promise reports: a handler threw, an unreadable frame, a server error about no pending request. */
  error: Error;
  /** Every frame as read and as written (a raw log, for tools like the CLI). */
  frameIn: string;
  frameOut: string;
}

/** Options of one publish. */
export interface PublishOptions {
  /** 0 (default): fire and forget; 1: resolves on `msgack`; 2: resolves on completion (pubrec, pubrel, msgack). */
  qos?: Qos;
  /** Keep as the topic's last value (PROTOCOL §4, retained values). */
  retain?: boolean;
  /**
   * PROTOCOL §4 per-message expiry: whole seconds, 1 to the server's message TTL, after which
   * nobody is sent the message. A QoS 1/2 publish resent later carries the seconds it has left;
   * one whose time ran out before the server took it rejects with MessageExpiredError.
   */
  expiry?: number;
}

type State = 'idle' | 'connecting' | 'open' | 'waiting' | 'closed';

/** How long `close()` waits for the server to close the connection after its `disconnect` frame. */
export const GOODBYE_WAIT_MS = 1000;

/** Sends `{"action":"disconnect"}`; false if the socket would not take it (then the client just closes). */
function sendGoodbye(socket: WebSocketLike): boolean {
  try {
    socket.send(encodeClientFrame({ action: 'disconnect' }));
    return true;
  } catch {
    return false;
  }
}

/** RFC 6455 "message too big": API Gateway's close for a frame over 32 KB or a message over 128 KB. */
const CLOSE_TOO_LARGE = 1009;
/** RFC 6455 "normal closure": what API Gateway closes with when the server deletes a connection (a takeover). */
const CLOSE_NORMAL = 1000;

export class QosgateClient {
  /** Typed events: open, close, reconnecting, takeover, message, error, frameIn, frameOut. */
  readonly events: TypedEmitter<ClientEvents>;
  /** The URL connected to, with the PROTOCOL §1 parameters. */
  readonly url: string;

  private readonly WebSocket: WebSocketConstructor;
  private readonly timers: Timers;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly session: 'clean' | 'persistent';
  private readonly handlers = new HandlerRegistry();
  private readonly acks: AckBatcher;
  private readonly inbound: Inbound;
  private readonly outbound: Outbound;
  private readonly subscriptions: Subscriptions;
  private readonly historyRequests: HistoryRequests;

  private state: State = 'idle';
  private socket: WebSocketLike | undefined;
  /** A persistent session's replacement connection while it opens (re-open before the 2 h limit). */
  private next: WebSocketLike | undefined;
  private readonly retired = new WeakSet<WebSocketLike>();
  private attempt = 0;
  /** When the current connection opened (for telling a takeover from other losses). */
  private openedAt: number | undefined;
  /** Takeovers in a row (see `takenOver`). */
  private takeovers = 0;
  /** Sockets this client closed itself: their close 1000 is no takeover. */
  private readonly closedByUs = new WeakSet<WebSocketLike>();
  private opens = 0;
  private reopening = false;
  private reportingError = false;
  private firstOpen: { promise: Promise<void>; resolve(): void; reject(error: Error): void } | undefined;
  private readonly timer: Record<'reconnect' | 'ping' | 'pong' | 'reopen' | 'drain', TimerHandle | undefined> = {
    reconnect: undefined,
    ping: undefined,
    pong: undefined,
    reopen: undefined,
    drain: undefined,
  };
  private qos0Waiting: Array<{ frame: ClientFrame; resolve(): void; reject(error: Error): void }> = [];
  /** ClientOptions.batch: coalesces `publish()` calls into batched frames (PROTOCOL §2). */
  private readonly batcher: PublishBatcher | undefined;
  /** The byte budget of one batch frame (publishMany and the batcher). */
  private readonly batchBytes: number;

  constructor(private readonly options: ClientOptions) {
    const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketClass) throw new TypeError('no WebSocket: pass options.WebSocket (in Node, import from "qosgate/client/node")');
    if (options.session === 'persistent' && !options.clientId) throw new TypeError('a persistent session needs a clientId (PROTOCOL §1)');
    this.WebSocket = WebSocketClass;
    this.url = buildConnectUrl(options.url, options);
    this.session = options.session ?? 'clean';
    this.timers = options.timers ?? systemTimers;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    // A listener that throws is reported as an `error` event, unless it was an error listener (no loop).
    this.events = new TypedEmitter<ClientEvents>((error) => !this.reportingError && this.reportError(error));

    const outbox = options.outbox ?? new MemoryOutbox();
    this.acks = new AckBatcher(this.timers, options.ackBatchMs ?? DEFAULTS.ackBatchMs, (ids) => this.send({ action: 'msgack', ids }));
    this.inbound = new Inbound(
      {
        handlers: this.handlers,
        acks: this.acks,
        store: outbox,
        sendPubrec: (id) => this.send({ action: 'pubrec', id }),
        clock: this.clock,
        delivered: (message) => this.events.emit('message', message),
        handlerFailed: (error, message) =>
          this.reportError(new QosgateClientError('HANDLER_FAILED', `handler failed${message ? ` for ${message.controller}/${message.topic} ${message.id ?? ''}` : ''}: ${String(error)}`, { cause: error })),
        reportError: (error) => this.reportError(error),
      },
      {
        autoAck: options.autoAck ?? true,
        rememberMs: options.qos2RememberMs ?? DEFAULTS.qos2RememberMs,
        unreleasedMemoryMs: DEFAULTS.qos2UnreleasedMemoryMs,
      },
    );
    this.outbound = new Outbound(
      {
        outbox,
        ids: options.ids ?? createIdProvider(this.random),
        clock: this.clock,
        timers: this.timers,
        send: (frame) => this.send(frame),
        reportError: (error) => this.reportError(error),
      },
      { ackTimeoutMs: options.ackTimeoutMs ?? DEFAULTS.ackTimeoutMs, resendCapMs: options.resendCapMs ?? DEFAULTS.resendCapMs },
    );
    this.subscriptions = new Subscriptions((frame) => this.send(frame));
    this.batchBytes = Math.min(options.batch?.maxBytes ?? BATCH_DEFAULTS.maxBytes, MAX_FRAME_BYTES);
    this.batcher = options.batch ? new PublishBatcher(this.timers, options.batch, (messages, qos) => this.publishBatch(messages, qos)) : undefined;
    this.historyRequests = new HistoryRequests((frame) => this.send(frame), this.random);
  }

  /** True while a connection is open. */
  get connected(): boolean {
    return this.state === 'open';
  }

  /**
   * Opens the first connection. Rejects with ConnectError if it cannot be opened (a wrong
   * URL or a refused handshake should fail at once); once it has been open, every loss is
   * followed by a reconnect, by itself.
   */
  open(): Promise<void> {
    if (this.firstOpen) return this.firstOpen.promise;
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    this.firstOpen = { promise, resolve, reject };
    promise.catch(() => undefined); // settled through the returned promise; no unhandled rejection here
    // Publishes an earlier run left in a persistent outbox are sent with the first open, and
    // the QoS 2 ids it handled are known before any message can come again.
    Promise.all([this.outbound.restore(), this.inbound.restore()])
      .then(() => {
        if (this.state === 'connecting' && !this.socket) this.dial();
      })
      .catch((error: unknown) => this.fail(new ConnectError(`reading the outbox failed: ${String(error)}`, { cause: error })));
    this.state = 'connecting';
    return promise;
  }

  /**
   * Publishes `data` to `controller`/`topic` (PROTOCOL §2). QoS 0 resolves once written (or
   * queued in memory while disconnected, and written on the next open); QoS 1 on `msgack`;
   * QoS 2 on completion. Rejects with ServerRefusedError if the server refuses the frame, and
   * with FrameTooLargeError, before sending anything, if the frame would be over API Gateway's
   * 32 KB (the connection would be closed with 1009), or if the server closed the connection
   * with 1009 after it was sent (it is then not sent again).
   */
  publish(controller: string, topic: string, data: unknown, options: PublishOptions = {}): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new ClientClosedError());
    const qos = options.qos ?? 0;
    const retain = options.retain === true;
    const expiry = options.expiry !== undefined ? { expiry: options.expiry } : {};
    // ClientOptions.batch: coalesced with other publishes into one batched frame (PROTOCOL §2).
    if (this.batcher) return this.batcher.add({ controller, topic, data, ...(retain ? { retain: true } : {}), ...expiry }, qos);
    if (qos !== 0) return this.outbound.publish(controller, topic, data, qos, retain, options.expiry);
    const frame: ClientFrame = { action: 'publish', controller, topic, data, qos: 0, ...(retain ? { retain: true } : {}), ...expiry };
    const oversize = oversizeFrame(encodeClientFrame(frame));
    if (oversize) return Promise.reject(oversize);
    if (this.send(frame)) return Promise.resolve();
    return new Promise((resolve, reject) => this.qos0Waiting.push({ frame, resolve, reject }));
  }

  /**
   * Publishes several messages as batched publishes (PROTOCOL §2 `messages`): one frame, one id,
   * one QoS and one answer for up to 100 messages; more, or more bytes than a frame's budget
   * (ClientOptions.batch.maxBytes, default under 32 KB), go in several frames. Resolves when
   * every frame is answered (QoS 0: written; QoS 1: `msgack`; QoS 2: completion); rejects as
   * {@link publish} does, a bad message refusing its whole frame. Unanswered frames are resent
   * whole, with the same id.
   */
  publishMany(messages: readonly BatchMessage[], options: { qos?: Qos } = {}): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new ClientClosedError());
    const qos = options.qos ?? 0;
    const batches = splitBatches(messages, MAX_BATCH_MESSAGES, this.batchBytes);
    return Promise.all(batches.map((batch) => this.publishBatch(batch, qos))).then(() => undefined);
  }

  /** Sends the publishes that wait to be batched (ClientOptions.batch) now, without waiting for maxDelayMs. */
  flushBatch(): void {
    this.batcher?.flush();
  }

  /**
   * Subscribes (PROTOCOL §2); resolves with the granted QoS from `suback`. `topic` may be a
   * filter (PROTOCOL §8: `site-1/+/temp`, `site-1/#`); `handler`, if given, is registered as by
   * {@link on} for it, and gets each message under its concrete topic.
   */
  subscribe(controller: string, topic: string, options: { qos?: Qos; handler?: MessageHandler } = {}): Promise<Qos> {
    if (this.state === 'closed') return Promise.reject(new ClientClosedError());
    if (options.handler) this.on(controller, topic, options.handler);
    const oversize = oversizeFrame(encodeClientFrame({ action: 'subscribe', controller, topic, qos: options.qos ?? 0 }));
    if (oversize) return Promise.reject(oversize);
    return this.subscriptions.subscribe(controller, topic, options.qos ?? 0);
  }

  /**
   * A topic's stored messages (PROTOCOL §10), newest first: at most `limit` (1-1000, default 100),
   * received at or after `since` and before `before` (ms). Resolves with the items once the
   * answer's last frame is in (an answer over 32 KB comes in several); rejects with
   * ServerRefusedError (BAD_REQUEST, FORBIDDEN without the subscribe right, history off).
   * For the next older page use {@link historyPage} and pass its `next` as `before`.
   */
  async history(controller: string, topic: string, options: HistoryOptions = {}): Promise<HistoryItem[]> {
    return (await this.historyPage(controller, topic, options)).items;
  }

  /** As {@link history}, with `next`: the `before` that asks for the older records, when there are any. */
  historyPage(controller: string, topic: string, options: HistoryOptions = {}): Promise<HistoryPage> {
    if (this.state === 'closed') return Promise.reject(new ClientClosedError());
    return this.historyRequests.request(controller, topic, options);
  }

  /** Unsubscribes; resolves on `unsuback`. */
  unsubscribe(controller: string, topic: string): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new ClientClosedError());
    const oversize = oversizeFrame(encodeClientFrame({ action: 'unsubscribe', controller, topic }));
    if (oversize) return Promise.reject(oversize);
    return this.subscriptions.unsubscribe(controller, topic);
  }

  /**
   * Handles messages for `controller`/`topic` (`*` for any). QoS 1 is acked after the
   * handler returns (its promise resolves) and not if it throws; QoS 2 runs it once per id.
   * Register handlers before `open()` (or right after `connect()` resolves, before awaiting
   * anything) so that nothing a persistent session kept arrives unhandled.
   * Returns a function that removes the handler.
   */
  on(controller: string, topic: string, handler: MessageHandler): () => void {
    return this.handlers.add(controller, topic, handler);
  }

  /**
   * Acknowledges a message by hand, for a client made with `autoAck: false` (a monitor
   * watching resends until a person acks): sends `msgack` for `id`, coalesced with other acks
   * like the automatic ones, and kept for the next open while disconnected. It ends a QoS 1
   * message and completes a QoS 2 one after its `pubrel` (the `pubrec` step is not sent here).
   */
  ack(id: string): void {
    if (this.state === 'closed') throw new ClientClosedError();
    this.acks.add(id);
  }

  /**
   * Closes for good: waiting acks are flushed, timers stopped, then a `disconnect` frame says a
   * clean goodbye (PROTOCOL §2: the server drops the will and closes the connection); if the
   * server has not closed it within {@link GOODBYE_WAIT_MS}, the client does (the will may then
   * be published: the server cannot tell that close from a lost client).
   * Unanswered publishes reject with ClientClosedError but stay in the outbox (a file outbox
   * sends them on the next run).
   */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.acks.flush();
    const socket = this.socket;
    this.stop(new ClientClosedError());
    this.firstOpen?.reject(new ClientClosedError()); // no effect once it has opened
    if (this.next) this.retire(this.next);
    if (!socket || socket.readyState === READY_STATE.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timers: unknown[] = [];
      const previous = socket.onclose;
      socket.onclose = (event) => {
        for (const timer of timers) this.timers.clearTimeout(timer);
        previous?.(event);
        resolve();
      };
      const closeOurselves = (): void => socket.close(1000, 'client closed');
      const goodbye = socket.readyState === READY_STATE.OPEN && sendGoodbye(socket);
      if (socket.readyState === READY_STATE.CLOSED) return; // the server closed it at once
      if (goodbye) timers.push(this.timers.setTimeout(closeOurselves, GOODBYE_WAIT_MS));
      timers.push(this.timers.setTimeout(resolve, (goodbye ? GOODBYE_WAIT_MS : 0) + 1000)); // a peer that never answers the close
      if (!goodbye) closeOurselves();
    });
  }

  // ---------------------------------------------------------------------------
  // Connections
  // ---------------------------------------------------------------------------

  /** Opens a socket; `replacing`: a persistent session's make-before-break re-open. */
  private dial(replacing = false): void {
    const socket = new this.WebSocket(this.url);
    if (replacing) this.next = socket;
    else {
      this.socket = socket;
      this.state = 'connecting';
    }
    let lastError: unknown;
    const connectTimer = this.timers.setTimeout(() => this.abandon(socket, 'connect timeout'), this.options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs);
    socket.onopen = () => {
      this.timers.clearTimeout(connectTimer);
      this.opened(socket);
    };
    socket.onmessage = (event) => this.receive(messageText(event));
    socket.onerror = (event) => {
      lastError = (event as { error?: unknown; message?: unknown }).error ?? (event as { message?: unknown }).message ?? event;
    };
    socket.onclose = (event) => {
      this.timers.clearTimeout(connectTimer);
      // A refused handshake: the transport read why (client/node.ts); a browser only says 1006.
      const refusal = socket.refusal;
      const why = refusal ? new ConnectionRefusedError(refusal.status, refusal.body, redactUrl(this.options.url)) : undefined;
      this.lost(socket, event.code, event.reason || (why ? why.message : lastError !== undefined ? String(lastError) : ''), why);
    };
  }

  private opened(socket: WebSocketLike): void {
    if (this.state === 'closed') return this.retire(socket);
    const previous = this.socket;
    if (socket === this.next) {
      // The server has taken the session over from the old connection (docs/protocol.md §1)
      // and closes it; closing it here too makes sure, and its close is not a loss.
      this.next = undefined;
      if (previous && previous !== socket) this.retire(previous);
    }
    this.socket = socket;
    this.state = 'open';
    this.attempt = 0;
    this.openedAt = this.clock.now();
    this.clearTimer('reconnect');
    this.reopening = false;
    this.clearTimer('drain');
    this.opens += 1;
    this.events.emit('open', { reopened: this.opens > 1 });

    // Order matters: acks first (they spare the server resends), then resume (PROTOCOL §4:
    // a persistent session's pending messages), then this client's own open publishes.
    this.acks.flush();
    if (this.session === 'persistent') this.send({ action: 'resume' });
    this.outbound.pause(false);
    this.outbound.resendAll();
    this.subscriptions.onOpen(this.session);
    this.historyRequests.onOpen();
    const waiting = this.qos0Waiting;
    this.qos0Waiting = [];
    for (const w of waiting) {
      if (this.send(w.frame)) w.resolve();
      else this.qos0Waiting.push(w);
    }
    this.schedulePing();
    const maxConnectionMs = this.options.maxConnectionMs ?? DEFAULTS.maxConnectionMs;
    if (maxConnectionMs > 0) this.setTimer('reopen', () => this.reopen(), maxConnectionMs);
    this.firstOpen?.resolve();
  }

  private lost(socket: WebSocketLike, code: number, reason: string, refused?: ConnectionRefusedError): void {
    if (this.retired.has(socket)) return;
    if (socket === this.next) {
      // A failed re-open: the old connection carries on, unless it is gone already.
      this.next = undefined;
      if (this.socket || this.state === 'closed') return;
    } else if (socket !== this.socket) {
      return;
    } else {
      this.socket = undefined;
      for (const name of ['ping', 'pong', 'reopen', 'drain'] as const) this.clearTimer(name);
      // 1009: API Gateway closed it for a frame too large. The publish that did it is failed
      // (picked at once, before suspend forgets what went out on this connection), never resent.
      if (code === CLOSE_TOO_LARGE) {
        void this.outbound.frameRefused(reason).then((failed) => {
          if (!failed) this.reportError(new QosgateClientError('FRAME_TOO_LARGE', `the server closed the connection with ${code} (${reason || 'no reason'}): a frame this client sent was too large`));
        });
      }
      this.outbound.suspend();
      if (this.next && this.state !== 'closed') {
        // The server closed the old connection on taking the session over before the new
        // one's open reached us: the new one is the reconnect.
        this.state = 'connecting';
        this.events.emit('close', { code, reason, reconnecting: true });
        return;
      }
    }
    if (this.state === 'closed') return;
    // A takeover while connecting (409) is retried even before the first open: the other client
    // with this clientId took the session a moment earlier, and will lose it to this one in turn.
    const takenWhileConnecting = refused !== undefined && isTakeoverRefusal(refused.status);
    if (this.opens === 0 && !(takenWhileConnecting && this.options.reconnect !== false)) {
      this.fail(refused ?? new ConnectError(`could not connect to ${redactUrl(this.options.url)}${reason ? `: ${reason}` : ''} (close ${code})`));
      this.events.emit('close', { code, reason, reconnecting: false });
      return;
    }
    if (refused && isFinalRefusal(refused.status)) {
      // The same handshake would be refused again (a bad parameter, a token expired or revoked):
      // retrying forever helps nobody. The app hears it and decides (a new token, a fix).
      this.stop(refused);
      this.events.emit('close', { code, reason, reconnecting: false });
      this.reportError(refused);
      return;
    }
    if (this.options.reconnect === false) {
      this.stop(new QosgateClientError('NOT_CONNECTED', `the connection closed (${code}) and reconnect is off`));
      this.events.emit('close', { code, reason, reconnecting: false });
      return;
    }
    this.events.emit('close', { code, reason, reconnecting: true });
    const takenOver = takenWhileConnecting || this.takenOver(socket, code);
    this.takeovers = takenOver ? this.takeovers + 1 : 0;
    // A planned re-open goes at once; a loss waits, with full jitter, so a fleet that lost
    // the same gateway does not come back in the same instant. A takeover waits longer each
    // time in a row, and at least half its window: two clients with one clientId would
    // otherwise take the session from each other several times a second, forever.
    const delayMs = this.reopening
      ? 0
      : takenOver
        ? takeoverDelay(this.takeovers, this.options.reconnect ?? {}, this.random)
        : backoffDelay(this.attempt, this.options.reconnect ?? {}, this.random);
    this.attempt += 1;
    this.state = 'waiting';
    if (takenOver) {
      const clientId = this.options.clientId ?? '';
      this.events.emit('takeover', { clientId, count: this.takeovers, delayMs });
      this.reportError(new SessionTakenOverError(clientId, this.takeovers, delayMs));
    }
    this.events.emit('reconnecting', { attempt: this.attempt, delayMs });
    this.setTimer('reconnect', () => this.dial(), delayMs);
  }

  /**
   * Before API Gateway's 2 hour limit. A persistent session opens the new connection first:
   * the server moves the session to it and closes the old one, and `resume` plus the outbox
   * resend make sure nothing is lost. A clean session cannot do that (a new connection with
   * its clientId starts an empty session), so it stops sending new publishes, waits for the
   * unanswered ones (up to `drainTimeoutMs`), flushes its acks, and reconnects at once.
   */
  private reopen(): void {
    if (this.state !== 'open') return;
    if (this.session === 'persistent') return this.dial(true);
    this.reopening = true;
    this.outbound.pause(true);
    const deadline = this.clock.now() + (this.options.drainTimeoutMs ?? DEFAULTS.drainTimeoutMs);
    const check = (): void => {
      if (this.state !== 'open') return;
      if (this.outbound.unanswered > 0 && this.clock.now() < deadline) return this.setTimer('drain', check, 50);
      this.acks.flush();
      if (this.socket) this.closedByUs.add(this.socket);
      this.socket?.close(CLOSE_NORMAL, 'reopening before the connection time limit');
    };
    check();
  }

  /**
   * Whether this loss was a takeover: the server closed the connection with 1000 (API Gateway's
   * close for DeleteConnection, which $connect calls on the older connection of a clientId,
   * PROTOCOL §1), this client did not ask for it, and it came within `takeoverWindowMs` of the
   * open. Only a client with a clientId can be taken over.
   */
  private takenOver(socket: WebSocketLike, code: number): boolean {
    if (code !== CLOSE_NORMAL || !this.options.clientId || this.closedByUs.has(socket) || this.openedAt === undefined) return false;
    return this.clock.now() - this.openedAt < (this.options.takeoverWindowMs ?? DEFAULTS.takeoverWindowMs);
  }

  /** A connection that does not open in time, or stopped answering pings: dropped, and handled as lost. */
  private abandon(socket: WebSocketLike, why: string): void {
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    try {
      socket.close(4000, why);
    } catch {
      // closing a socket that never opened may throw in some implementations; it is dropped anyway
    }
    this.lost(socket, 1006, why);
  }

  private retire(socket: WebSocketLike): void {
    this.retired.add(socket);
    if (socket.readyState === READY_STATE.OPEN || socket.readyState === READY_STATE.CONNECTING) {
      try {
        socket.close(1000, 'replaced');
      } catch {
        // already going
      }
    }
  }

  private schedulePing(): void {
    const interval = this.options.pingIntervalMs ?? DEFAULTS.pingIntervalMs;
    if (interval <= 0) return;
    this.setTimer(
      'ping',
      () => {
        const socket = this.socket;
        if (!socket || !this.send({ action: 'ping' })) return;
        const pongTimeout = this.options.pongTimeoutMs ?? DEFAULTS.pongTimeoutMs;
        if (pongTimeout > 0 && this.timer.pong === undefined) this.setTimer('pong', () => this.abandon(socket, 'no pong'), pongTimeout);
        this.schedulePing();
      },
      interval,
    );
  }

  // ---------------------------------------------------------------------------
  // Frames
  // ---------------------------------------------------------------------------

  private send(frame: ClientFrame): boolean {
    const socket = this.socket;
    if (!socket || this.state !== 'open' || socket.readyState !== READY_STATE.OPEN) return false;
    const text = encodeClientFrame(frame);
    try {
      socket.send(text);
    } catch {
      return false; // closing under us: the close handler takes it from here
    }
    this.events.emit('frameOut', text);
    return true;
  }

  private receive(text: string): void {
    this.events.emit('frameIn', text);
    const frame = decodeServerFrame(text);
    if (!frame) return this.reportError(new QosgateClientError('BAD_FRAME', `unreadable frame from the server: ${text.slice(0, 200)}`));
    void this.dispatch(frame).catch((error: unknown) => this.reportError(error));
  }

  private async dispatch(frame: ServerFrame): Promise<void> {
    switch (frame.type) {
      case 'message':
      case 'pubrel':
        return this.inbound.receive(frame);
      case 'msgack':
        return this.outbound.onMsgack(frame);
      case 'pubrec':
        return this.outbound.onPubrec(frame);
      case 'suback':
        return this.subscriptions.onSuback(frame);
      case 'unsuback':
        return this.subscriptions.onUnsuback(frame);
      case 'pong':
        return this.clearTimer('pong');
      case 'history':
        return this.historyRequests.onFrame(frame);
      case 'willack':
        return; // the will rides in the URL (url.ts); a raw `will` frame's answer needs nothing
      case 'error':
        if ((await this.outbound.onError(frame)) || this.subscriptions.onError(frame) || this.historyRequests.onError(frame)) return;
        return this.reportError(new ServerRefusedError(frame.code, frame.message, frame.action, frame.id));
    }
  }

  // ---------------------------------------------------------------------------
  // Housekeeping
  // ---------------------------------------------------------------------------

  /** One batch frame: through the outbox for QoS 1/2, as a QoS 0 publish is sent otherwise. */
  private publishBatch(messages: BatchMessage[], qos: Qos): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new ClientClosedError());
    const wire = messages.map(wireMessage);
    if (qos !== 0) return this.outbound.publishBatch(wire, qos);
    const frame: ClientFrame = { action: 'publish', qos: 0, messages: wire };
    const oversize = oversizeFrame(encodeClientFrame(frame));
    if (oversize) return Promise.reject(oversize);
    if (this.send(frame)) return Promise.resolve();
    return new Promise((resolve, reject) => this.qos0Waiting.push({ frame, resolve, reject }));
  }

  private fail(error: Error): void {
    this.stop(error);
    this.firstOpen?.reject(error);
  }

  private stop(error: Error): void {
    this.state = 'closed';
    for (const name of Object.keys(this.timer) as Array<keyof typeof this.timer>) this.clearTimer(name);
    this.acks.stop();
    this.batcher?.close(error);
    this.outbound.close(error);
    this.subscriptions.close(error);
    this.historyRequests.close(error);
    for (const w of this.qos0Waiting) w.reject(error);
    this.qos0Waiting = [];
  }

  private reportError(error: unknown): void {
    const asError = error instanceof Error ? error : new Error(String(error));
    // An error event nobody listens to is dropped, not thrown: a device must not crash on it.
    if (this.events.listenerCount('error') === 0) return;
    this.reportingError = true;
    try {
      this.events.emit('error', asError);
    } finally {
      this.reportingError = false;
    }
  }

  private setTimer(name: keyof typeof this.timer, callback: () => void, ms: number): void {
    this.clearTimer(name);
    this.timer[name] = this.timers.setTimeout(() => {
      this.timer[name] = undefined;
      callback();
    }, ms);
  }

  private clearTimer(name: keyof typeof this.timer): void {
    if (this.timer[name] !== undefined) this.timers.clearTimeout(this.timer[name]);
    this.timer[name] = undefined;
  }
}
