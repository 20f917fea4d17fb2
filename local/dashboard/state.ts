import type { DeadLetter, PendingEntry } from '../../lambdas/core/types.js';
import type { ConnectionStore } from '../../lambdas/ports/connection-store.js';
import { PRESENCE_CONTROLLER, type PresenceData } from '../../lambdas/core/presence.js';
import type { DeadLetterStore } from '../../lambdas/ports/dead-letter-store.js';
import type { PendingStore } from '../../lambdas/ports/pending-store.js';
import type { RetainedStore } from '../../lambdas/ports/retained-store.js';
import type { LiveConnection } from './feed.js';

/** The stores the dashboard reads, through the service's own adapters (read only). */
export interface DashboardStores {
  connections: Pick<ConnectionStore, 'get'>;
  pending: Pick<PendingStore, 'ofSession'>;
  deadLetters: Pick<DeadLetterStore, 'ofSession'>;
  retained: Pick<RetainedStore, 'get'>;
}

/** One open connection as the page shows it: the gateway's facts and the stored record. */
export interface ConnectionView {
  connectionId: string;
  connectedAt: number;
  sourceIp: string;
  /** Absent while `$connect` runs, or if the record is gone already. */
  sessionId?: string;
  sessionKind?: string;
  claimedQos?: number;
  format?: string;
  controllers?: string[];
}

export interface PendingView {
  sessionId: string;
  id: string;
  connectionId?: string;
  controller: string;
  topic: string;
  data: unknown;
  qos: number;
  state: string;
  parked: boolean;
  /** Flow control: stored, not sent yet; it goes when the client's acks free room. */
  held: boolean;
  attempts: number;
  createdAt: number;
  /** When the sweep sends it again (or, parked or held, dead-letters it). */
  dueAt: number;
}

export interface DeadLetterView {
  sessionId: string;
  id: string;
  controller: string;
  topic: string;
  data: unknown;
  qos: number;
  attempts: number;
  reason: string;
  deadAt: number;
}

/** A session's presence (PROTOCOL §9): its retained `$presence/<sessionId>` message. */
export interface PresenceView {
  /** The presence topic: the clientId, or the connection id of a connection without one. */
  sessionId: string;
  online: boolean;
  /** When it connected (online) or disconnected. */
  at: number;
  connectionId: string;
  /** Why it went offline. */
  reason?: string;
}

export interface DashboardState {
  now: number;
  connections: ConnectionView[];
  pending: PendingView[];
  deadLetters: DeadLetterView[];
  /** Online first, then offline, newest change first within each. */
  presence: PresenceView[];
  /** Records the ingestion sink has written to its files (PROTOCOL §11); absent without a sink. */
  sinkRecords?: number;
}

/**
 * Reads what the page shows, without a Scan: the open connections are the gateway's (the feed
 * knows them), each read by key (GetItem); pending entries and dead letters are Queried per
 * session (their partition key), for every session seen while the runtime has been up, so a
 * persistent session that went away still shows what it left parked. Sessions from before
 * this run (a file-backed DynamoDB Local) are not known and not shown.
 * Presence is the retained `$presence/<sessionId>` value of each of those sessions (PROTOCOL
 * §9), read by key: who is online, and who left, when and why.
 */
export class StateReader {
  /** Sessions seen, most recently seen last; bounded so a long run does not Query forever more. */
  private readonly sessions = new Map<string, number>();

  constructor(
    private readonly stores: DashboardStores,
    private readonly live: () => LiveConnection[],
    private readonly maxSessions = 100,
  ) {}

  async read(now: number): Promise<DashboardState> {
    const connections = await Promise.all(
      this.live().map(async (c): Promise<ConnectionView> => {
        const record = await this.stores.connections.get(c.connectionId, now);
        if (!record) return { ...c };
        this.seen(record.sessionId, now);
        const { sessionId, sessionKind, claimedQos, format, controllers } = record;
        return { ...c, sessionId, sessionKind, claimedQos, format, controllers };
      }),
    );
    const sessions = [...this.sessions.keys()];
    const [pending, deadLetters, presence] = await Promise.all([
      Promise.all(sessions.map((s) => this.stores.pending.ofSession(s, now))),
      Promise.all(sessions.map((s) => this.stores.deadLetters.ofSession(s, now))),
      Promise.all(sessions.map(async (s) => presenceView(s, (await this.stores.retained.get(PRESENCE_CONTROLLER, s, now))?.data))),
    ]);
    return {
      now,
      connections,
      pending: pending.flat().map(pendingView).sort((a, b) => a.createdAt - b.createdAt),
      deadLetters: deadLetters.flat().map(deadLetterView).sort((a, b) => a.deadAt - b.deadAt),
      presence: presence.filter((p): p is PresenceView => p !== undefined).sort((a, b) => Number(b.online) - Number(a.online) || b.at - a.at),
    };
  }

  private seen(sessionId: string, now: number): void {
    this.sessions.delete(sessionId);
    this.sessions.set(sessionId, now);
    for (const oldest of this.sessions.keys()) {
      if (this.sessions.size <= this.maxSessions) break;
      this.sessions.delete(oldest);
    }
  }
}

/** A retained presence message as the page shows it; undefined if there is none (or it is not one). */
function presenceView(sessionId: string, data: unknown): PresenceView | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const p = data as Partial<PresenceData>;
  if ((p.event !== 'connected' && p.event !== 'disconnected') || typeof p.at !== 'number' || typeof p.connectionId !== 'string') return undefined;
  return { sessionId, online: p.event === 'connected', at: p.at, connectionId: p.connectionId, ...(p.reason !== undefined ? { reason: p.reason } : {}) };
}

function pendingView(e: PendingEntry): PendingView {
  return {
    sessionId: e.sessionId,
    id: e.id,
    ...(e.connectionId !== undefined ? { connectionId: e.connectionId } : {}),
    controller: e.controller,
    topic: e.topic,
    data: e.data,
    qos: e.qos,
    state: e.state,
    parked: e.parked,
    held: e.held === true,
    attempts: e.attempts,
    createdAt: e.createdAt,
    dueAt: e.dueAt,
  };
}

function deadLetterView(l: DeadLetter): DeadLetterView {
  const e = l.entry;
  return { sessionId: e.sessionId, id: e.id, controller: e.controller, topic: e.topic, data: e.data, qos: e.qos, attempts: e.attempts, reason: l.reason, deadAt: l.deadAt };
}
