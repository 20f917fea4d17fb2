import type { ConnectionRecord, Recipient, SessionRecord } from '../../core/types.js';
import type { ConnectionStore } from '../../ports/connection-store.js';
import { compareStrings, copy, DEFAULT_PAGE_SIZE, isLive, pages } from './records.js';

type Membership = Recipient & { expiresAt: number };

/**
 * Connections, memberships and sessions in Maps, laid out as the DynamoDB table is: a
 * membership per (controller, connection) carrying what a Recipient needs.
 */
export class MemoryConnectionStore implements ConnectionStore {
  private readonly connections = new Map<string, ConnectionRecord>();
  /** controller -> connectionId -> membership */
  private readonly memberships = new Map<string, Map<string, Membership>>();
  private readonly sessions = new Map<string, SessionRecord>();

  constructor(private readonly options: { pageSize?: number } = {}) {}

  async put(connection: ConnectionRecord): Promise<void> {
    this.connections.set(connection.connectionId, copy(connection));
    for (const controller of connection.controllers) this.addMembership(connection, controller);
  }

  async get(connectionId: string, now: number): Promise<ConnectionRecord | undefined> {
    const connection = this.connections.get(connectionId);
    return connection && isLive(connection, now) ? copy(connection) : undefined;
  }

  /** A connection that is not stored (gone) gets nothing, nor one whose copy has them all, as in DynamoDB. */
  async openControllers(connection: ConnectionRecord, controllers: string[]): Promise<void> {
    const stored = this.connections.get(connection.connectionId);
    if (stored === undefined || controllers.every((controller) => connection.controllers.includes(controller))) return;
    for (const controller of controllers) {
      if (!stored.controllers.includes(controller)) stored.controllers.push(controller);
      this.addMembership(connection, controller);
    }
  }

  async delete(connection: Pick<ConnectionRecord, 'connectionId' | 'controllers'>): Promise<void> {
    const stored = this.connections.get(connection.connectionId);
    for (const controller of [...connection.controllers, ...(stored?.controllers ?? [])]) {
      this.memberships.get(controller)?.delete(connection.connectionId);
    }
    this.connections.delete(connection.connectionId);
  }

  async *membersOf(controller: string, now: number): AsyncIterable<Recipient[]> {
    const members = [...(this.memberships.get(controller)?.values() ?? [])]
      .filter((membership) => isLive(membership, now))
      .sort((a, b) => compareStrings(a.connectionId ?? '', b.connectionId ?? ''))
      .map(({ expiresAt: _expiresAt, ...recipient }) => copy(recipient));
    yield* pages(members, this.options.pageSize ?? DEFAULT_PAGE_SIZE);
  }

  async putSession(session: SessionRecord): Promise<void> {
    this.sessions.set(session.sessionId, copy(session));
  }

  async getSession(sessionId: string, now: number): Promise<SessionRecord | undefined> {
    const session = this.sessions.get(sessionId);
    return session && isLive(session, now) ? copy(session) : undefined;
  }

  async detachSession(sessionId: string, connectionId: string, expiresAt: number): Promise<boolean> {
    const session = this.sessions.get(sessionId);
    if (session?.connectionId !== connectionId) return false;
    delete session.connectionId;
    session.expiresAt = expiresAt;
    return true;
  }

  async deleteSession(sessionId: string, connectionId: string): Promise<boolean> {
    if (this.sessions.get(sessionId)?.connectionId !== connectionId) return false;
    return this.sessions.delete(sessionId);
  }

  private addMembership(connection: ConnectionRecord, controller: string): void {
    let members = this.memberships.get(controller);
    if (members === undefined) this.memberships.set(controller, (members = new Map()));
    members.set(connection.connectionId, {
      sessionId: connection.sessionId,
      connectionId: connection.connectionId,
      sessionKind: connection.sessionKind,
      claimedQos: connection.claimedQos,
      format: connection.format,
      expiresAt: connection.expiresAt,
    });
  }
}
