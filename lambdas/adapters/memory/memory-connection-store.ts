import type { BacklogFlag, ConnectionRecord, Recipient, SessionRecord, Will } from '../../core/types.js';
import type { ConnectionStore, SessionMember, SessionMembership } from '../../ports/connection-store.js';
import { compact, compareStrings, copy, DEFAULT_PAGE_SIZE, isLive, pages } from './records.js';
import type { AudiencePage, AudiencePageRequest } from '../../ports/audience-page.js';
import { audiencePage } from './audience-page.js';

type Membership = Recipient & { expiresAt: number };

/**
 * Connections, memberships and sessions in Maps, laid out as the DynamoDB table is: the
 * memberships of one controller keyed by connectionId (a clean connection's) or by
 * `session#<sessionId>` (a persistent session's), each carrying what a Recipient needs.
 */
export class MemoryConnectionStore implements ConnectionStore {
  private readonly connections = new Map<string, ConnectionRecord>();
  /** controller -> connectionId | session#<sessionId> -> membership */
  private readonly memberships = new Map<string, Map<string, Membership>>();
  private readonly sessions = new Map<string, SessionRecord>();
  /** sessionId -> lazy flow control's flag (DynamoDB: pk session#<sessionId>, sk backlog). */
  private readonly backlogs = new Map<string, BacklogFlag & { expiresAt: number }>();
  /** connectionId -> when its end was taken (DynamoDB: `endingAt` on the record). */
  private readonly endings = new Map<string, number>();

  constructor(private readonly options: { pageSize?: number } = {}) {}

  async put(connection: ConnectionRecord): Promise<void> {
    this.connections.set(connection.connectionId, copy(connection));
    if (connection.sessionKind === 'clean') {
      for (const controller of connection.controllers) this.addMembership(connection, controller);
    }
  }

  async putIfServing(connection: ConnectionRecord, now: number): Promise<boolean> {
    const session = this.sessions.get(connection.sessionId);
    if (session === undefined || !isLive(session, now) || session.connectionId !== connection.connectionId) return false;
    await this.put(connection);
    return true;
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
      if (connection.sessionKind === 'clean') this.addMembership(connection, controller);
    }
  }

  async setWill(connectionId: string, will: Will | undefined, now: number): Promise<boolean> {
    const stored = this.connections.get(connectionId);
    if (stored === undefined || !isLive(stored, now) || this.endings.has(connectionId) || stored.disconnecting === true) return false;
    if (will === undefined) delete stored.will;
    else stored.will = copy(will);
    return true;
  }

  async markDisconnecting(connectionId: string): Promise<void> {
    const stored = this.connections.get(connectionId);
    if (stored === undefined) return;
    delete stored.will;
    stored.disconnecting = true;
  }

  async claimEnd(connectionId: string, now: number, staleBefore: number): Promise<ConnectionRecord | undefined> {
    const stored = this.connections.get(connectionId);
    if (stored === undefined || !isLive(stored, now)) return undefined;
    const takenAt = this.endings.get(connectionId);
    if (takenAt !== undefined && takenAt >= staleBefore) return undefined;
    const before = copy(stored);
    this.endings.set(connectionId, now);
    delete stored.will;
    return before;
  }

  async delete(connection: Pick<ConnectionRecord, 'connectionId' | 'controllers'>): Promise<void> {
    const stored = this.connections.get(connection.connectionId);
    for (const controller of [...connection.controllers, ...(stored?.controllers ?? [])]) {
      this.memberships.get(controller)?.delete(connection.connectionId);
    }
    this.connections.delete(connection.connectionId);
    this.endings.delete(connection.connectionId);
  }

  async *membersOf(controller: string, now: number): AsyncIterable<Recipient[]> {
    const members = [...(this.memberships.get(controller)?.entries() ?? [])]
      .filter(([, membership]) => isLive(membership, now))
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([, { expiresAt: _expiresAt, ...recipient }]) => copy(recipient));
    yield* pages(members, this.options.pageSize ?? DEFAULT_PAGE_SIZE);
  }

  async memberPage(controller: string, now: number, page: AudiencePageRequest): Promise<AudiencePage> {
    const members = [...(this.memberships.get(controller)?.entries() ?? [])];
    return audiencePage(members, (membership) => isLive(membership, now), ({ expiresAt: _expiresAt, ...recipient }) => copy(recipient), page);
  }

  async openSessionControllers(member: SessionMember, controllers: string[]): Promise<boolean> {
    if (!this.serves(member)) return false;
    for (const controller of new Set(controllers)) this.membershipsOf(controller).set(sessionKey(member.sessionId), copy(member));
    return true;
  }

  /** Only live memberships are re-pointed, as the DynamoDB store finds them by a filtered Query. */
  async attachSessionControllers(member: SessionMember, now: number): Promise<string[]> {
    if (!this.serves(member)) return [];
    const controllers = (await this.sessionControllers(member.sessionId, now)).map((membership) => membership.controller);
    for (const controller of controllers) this.membershipsOf(controller).set(sessionKey(member.sessionId), copy(member));
    return controllers;
  }

  async detachSessionControllers(sessionId: string, connectionId: string, expiresAt: number, now: number): Promise<void> {
    for (const members of this.memberships.values()) {
      const membership = members.get(sessionKey(sessionId));
      if (membership === undefined || !isLive(membership, now) || membership.connectionId !== connectionId) continue;
      delete membership.connectionId;
      membership.expiresAt = expiresAt;
    }
  }

  async deleteSessionControllers(sessionId: string, _now: number): Promise<void> {
    for (const members of this.memberships.values()) members.delete(sessionKey(sessionId));
  }

  async sessionControllers(sessionId: string, now: number): Promise<SessionMembership[]> {
    return [...this.memberships.entries()]
      .sort(([a], [b]) => compareStrings(a, b))
      .flatMap(([controller, members]) => {
        const membership = members.get(sessionKey(sessionId));
        return membership && isLive(membership, now) ? [compact({ ...copy(membership), controller })] : [];
      });
  }

  async putSession(session: SessionRecord): Promise<void> {
    this.sessions.set(session.sessionId, copy(session));
  }

  async putSessionIf(session: SessionRecord, seen: Pick<SessionRecord, 'connectionId'> | undefined, now: number): Promise<boolean> {
    const stored = this.sessions.get(session.sessionId);
    const live = stored && isLive(stored, now) ? stored : undefined;
    if (seen === undefined ? live !== undefined : live === undefined || live.connectionId !== seen.connectionId) return false;
    this.sessions.set(session.sessionId, copy(session));
    return true;
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

  async getBacklog(sessionId: string, now: number): Promise<BacklogFlag> {
    const flag = this.backlogs.get(sessionId);
    return { backlogged: flag !== undefined && flag.backlogged && isLive(flag, now), epoch: flag?.epoch ?? 0 };
  }

  async flagBacklog(sessionId: string, expiresAt: number): Promise<void> {
    this.backlogs.set(sessionId, { backlogged: true, epoch: (this.backlogs.get(sessionId)?.epoch ?? 0) + 1, expiresAt });
  }

  async clearBacklog(sessionId: string, seenEpoch: number): Promise<boolean> {
    const flag = this.backlogs.get(sessionId);
    if (flag === undefined || flag.epoch !== seenEpoch) return false;
    flag.backlogged = false;
    return true;
  }

  async markMemberships(sessionId: string, connectionId: string, backlogged: boolean, now: number): Promise<void> {
    const connection = this.connections.get(connectionId);
    const own = connection && connection.sessionId === sessionId && isLive(connection, now) ? connection.controllers : [];
    for (const [controller, members] of this.memberships) {
      for (const key of [...(own.includes(controller) ? [connectionId] : []), sessionKey(sessionId)]) {
        const membership = members.get(key);
        if (membership === undefined || !isLive(membership, now) || membership.sessionId !== sessionId) continue;
        if (backlogged) membership.backlogged = true;
        else delete membership.backlogged;
      }
    }
  }

  /** Whether the member's connection serves its session now (as DynamoDB's ConditionCheck asks). */
  private serves(member: SessionMember): boolean {
    return this.sessions.get(member.sessionId)?.connectionId === member.connectionId;
  }

  private membershipsOf(controller: string): Map<string, Membership> {
    let members = this.memberships.get(controller);
    if (members === undefined) this.memberships.set(controller, (members = new Map()));
    return members;
  }

  private addMembership(connection: ConnectionRecord, controller: string): void {
    this.membershipsOf(controller).set(connection.connectionId, {
      sessionId: connection.sessionId,
      connectionId: connection.connectionId,
      sessionKind: connection.sessionKind,
      claimedQos: connection.claimedQos,
      format: connection.format,
      expiresAt: connection.expiresAt,
    });
  }
}

/** The same key as the DynamoDB store's session membership sort key (connection ids never hold `#`). */
function sessionKey(sessionId: string): string {
  return `session#${sessionId}`;
}
