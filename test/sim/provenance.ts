import type { PendingEntry, PendingKey } from '../../lambdas/core/types.js';
import type { Task } from './scheduler.js';

/** What happened to one store record last, for the invariants to name the culprit. */
export interface Write {
  task: string;
  kind: string;
  what: string;
  step: number;
  /** The connections whose posts answered Gone in this task before the write (a Gone post is followed by its cleanup). */
  gone?: string[];
}

/** Store methods that only read: every other call is counted as a write of what it names. */
const READS = new Set(['get', 'getMany', 'ofSession', 'pagesOfSession', 'due', 'membersOf', 'subscribersOf', 'getSession', 'sessionControllers']);

export const pendingKey = (k: PendingKey): string => `${k.sessionId}/${k.id}`;

/**
 * Who wrote what: for every pending entry, every session's subscriptions, session record and
 * memberships, and every connection record, the invocation that wrote it last. Fed with every
 * store call once it has returned. Puts, claims and pubrecs are read by method; other writes
 * are recognised by what they name (a sessionId, keys, a record), so a store that gains methods
 * (a conditional put, a tombstone) is still followed.
 */
export class Provenance {
  /** QoS 2 entries whose pubrec is in (PROTOCOL §4: the message is never sent again), per client session epoch. */
  readonly pubrecIn = new Map<string, { step: number; epoch: number }>();
  readonly pendingWrites = new Map<string, Write>();
  readonly pendingDeletes = new Map<string, Write>();
  /** Every pending entry ever stored, by key. */
  readonly everStored = new Map<string, PendingEntry>();
  /** Entries put again, under the same server id, by another invocation than the first: a re-run hand-on. */
  readonly rewrittenByRerun = new Map<string, Write>();
  readonly subscriptionWrites = new Map<string, Write>();
  readonly sessionWrites = new Map<string, Write>();
  readonly membershipWrites = new Map<string, Write>();
  readonly connectionDeletes = new Map<string, Write>();
  private readonly firstPut = new Map<string, number>();
  /** The connections each task's posts found gone so far. */
  private readonly goneOf = new Map<number, string[]>();

  constructor(
    private readonly step: () => number,
    /** The epoch of the client whose session this is (a clean start begins a new one). */
    private readonly epochOf: (sessionId: string) => number,
  ) {}

  /** A post of `task` answered Gone. */
  gone(task: Task, connectionId: string): void {
    const gone = this.goneOf.get(task.id) ?? [];
    if (!gone.includes(connectionId)) this.goneOf.set(task.id, [...gone, connectionId]);
  }

  observe(task: Task, port: string, method: string, args: unknown[], result: unknown): void {
    if (READS.has(method)) return;
    const gone = this.goneOf.get(task.id);
    const write = (what: string): Write => ({ task: task.name, kind: task.kind, what, step: this.step(), ...(gone ? { gone } : {}) });
    if (port === 'pending') this.pending(task, method, args, result, write);
    else if (port === 'subscriptions') {
      const sessionId = sessionOf(method === 'delete' ? args[2] : args[0]);
      const target = typeof args[0] === 'object' && args[0] !== null ? (args[0] as { connectionId?: string }).connectionId : (args[1] as string | undefined);
      if (sessionId) this.subscriptionWrites.set(sessionId, write(`${method} @${typeof target === 'string' ? target : 'none'}`));
    } else if (port === 'connections') {
      if (method === 'delete' || method === 'put') {
        const connectionId = (args[0] as { connectionId: string }).connectionId;
        if (method === 'delete') this.connectionDeletes.set(connectionId, write('delete'));
        return;
      }
      const sessionId = sessionOf(args[0]);
      if (!sessionId || result === false) return;
      if (method.endsWith('Controllers')) this.membershipWrites.set(sessionId, write(method));
      else this.sessionWrites.set(sessionId, write(method));
    }
  }

  private pending(task: Task, method: string, args: unknown[], result: unknown, write: (what: string) => Write): void {
    // putMany and putFirstSends store every entry; a conditional put (putAbsent, where the store has one) only those it says it stored.
    const put =
      method === 'putMany'
        ? (args[0] as PendingEntry[])
        : method === 'putFirstSends'
          ? [...(args[0] as PendingEntry[]), ...((args[1] as PendingEntry[] | undefined) ?? [])]
          : method === 'putAbsent'
            ? ((result as { stored?: PendingEntry[] }).stored ?? [])
            : undefined;
    if (put) {
      for (const entry of put) {
        const k = pendingKey(entry);
        const earlier = this.everStored.has(k) ? this.firstPut.get(k) : undefined;
        // The same server id put again by another invocation: a hand-on run again (issue 12 A).
        if (earlier !== undefined && earlier !== task.id) this.rewrittenByRerun.set(k, write('put again by a re-run'));
        else this.firstPut.set(k, task.id);
        this.pendingWrites.set(k, write(entry.parked ? 'put parked' : entry.held ? 'put held' : 'put'));
        this.everStored.set(k, entry);
        this.pendingDeletes.delete(k);
      }
      return;
    }
    if (method === 'replaceIf') {
      const entry = args[0] as PendingEntry;
      if (result !== undefined) this.pendingWrites.set(pendingKey(entry), write(entry.parked ? 'parked' : entry.held ? 'held' : `set @${entry.connectionId ?? 'none'}`));
      return;
    }
    if (method === 'release') {
      const r = result as { result: string };
      if (r.result !== 'released' && r.result !== 'already-released') return;
      const key = args[0] as PendingKey;
      const k = pendingKey(key);
      const epoch = this.epochOf(key.sessionId);
      if (this.pubrecIn.get(k)?.epoch !== epoch) this.pubrecIn.set(k, { step: this.step(), epoch });
      this.pendingWrites.set(k, write('released'));
      return;
    }
    if (result === false || result === 0) return;
    // Any other write removes what it names: keys (an ack, a dead letter) or a whole session.
    // acknowledge names a session and its ids; a string alone (deleteSession) the whole session.
    const named =
      method === 'acknowledge'
        ? (args[1] as string[]).map((id) => pendingKey({ sessionId: String(args[0]), id }))
        : typeof args[0] === 'string'
          ? [...this.everStored.keys()].filter((k) => k.startsWith(`${String(args[0])}/`))
          : keysOf(args[0]);
    for (const k of named) this.pendingDeletes.set(k, write(method));
  }
}

function sessionOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { sessionId?: unknown }).sessionId === 'string') return (value as { sessionId: string }).sessionId;
  return undefined;
}

function keysOf(value: unknown): string[] {
  const items = Array.isArray(value) ? value : [value];
  return items.filter((k): k is PendingKey => typeof k === 'object' && k !== null && 'sessionId' in k && 'id' in k).map(pendingKey);
}
