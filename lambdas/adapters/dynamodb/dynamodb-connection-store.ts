import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BacklogFlag, ConnectionRecord, Recipient, SessionRecord, Will } from '../../core/types.js';
import type { ConnectionStore, SessionMember, SessionMembership } from '../../ports/connection-store.js';
import type { AudiencePage, AudiencePageRequest } from '../../ports/audience-page.js';
import { queryAudiencePage } from './audience-page.js';
import { batchGet, batchWrite, chunk, runLimited, type BatchOptions, type WriteRequest } from './batch.js';
import {
  compact,
  expiry,
  fromJson,
  isConditionalCheckFailed,
  isLive,
  itemOfFailedCondition,
  LIVE_FILTER,
  queryAll,
  queryPages,
  toJson,
  type Item,
} from './items.js';
import { transactWrite, type TransactItem } from './transact.js';

export interface DynamoDbConnectionStoreOptions {
  /** Most memberships per Query page (default: DynamoDB's 1 MB page). */
  pageSize?: number;
  batch?: BatchOptions;
}

/** Membership updates in flight at once when a session is flagged or unflagged. */
const MARK_CONCURRENCY = 8;

/** Tries of openControllers' optimistic list update before giving up under contention. */
const OPEN_TRIES = 5;

/** Controllers per transaction: each takes two items besides the session's ConditionCheck (limit 100). */
const CONTROLLERS_PER_TRANSACTION = 40;

/** Transactions in flight at once when a session's memberships are detached. */
const DETACH_CONCURRENCY = 8;

/**
 * Connections, memberships and sessions in the one `connections` table (see schema.ts):
 *
 *   pk = conn#<connectionId>   sk = conn                 the ConnectionRecord (its will's data as JSON; `endingAt`
 *                                                        once its end was taken, see claimEnd)
 *   pk = ctrl#<controller>     sk = <connectionId>       a clean connection's membership, carrying what a Recipient needs
 *   pk = ctrl#<controller>     sk = session#<sessionId>  a persistent session's membership: the same, with the
 *                                                        connectionId only while connected; lives as long as the session
 *   pk = session#<sessionId>   sk = session              the SessionRecord
 *   pk = session#<sessionId>   sk = ctrl#<controller>    the session's list of its memberships (same expiry as each)
 *   pk = session#<sessionId>   sk = backlog              lazy flow control's flag of the session (any session,
 *                                                        with or without a SessionRecord) and its epoch
 *
 * invokeToAll Queries one controller's memberships and reads nothing more. A takeover or a
 * cleanup finds a session's memberships by a strongly consistent Query of the session's
 * partition (no index to lag behind). Every write of a session membership is conditional:
 * opening and re-pointing ride in a transaction with a ConditionCheck that the connection
 * serves the session; detaching only changes a membership that still points at the ending
 * connection (issue 12 C). Connection ids never contain `#`, so the sort keys cannot clash.
 */
export class DynamoDbConnectionStore implements ConnectionStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: DynamoDbConnectionStoreOptions = {},
  ) {}

  async put(connection: ConnectionRecord): Promise<void> {
    const own = connection.sessionKind === 'clean' ? distinct(connection.controllers) : [];
    const requests: WriteRequest[] = [
      { PutRequest: { Item: connectionItem(connection) } },
      ...own.map((controller) => ({
        PutRequest: { Item: membershipItem(connection, controller) },
      })),
    ];
    await batchWrite(this.doc, this.tableName, requests, this.options.batch);
  }

  /**
   * One transaction: a ConditionCheck that the session names this connection, the record and a
   * clean connection's memberships (2 write units each, as every transactional item).
   */
  async putIfServing(connection: ConnectionRecord, now: number): Promise<boolean> {
    const own = connection.sessionKind === 'clean' ? distinct(connection.controllers) : [];
    const items: TransactItem[] = [
      {
        ConditionCheck: {
          TableName: this.tableName,
          Key: sessionKey(connection.sessionId),
          ConditionExpression: `${LIVE_FILTER} AND connectionId = :c`,
          ExpressionAttributeValues: { ':now': now, ':c': connection.connectionId },
        },
      },
      { Put: { TableName: this.tableName, Item: connectionItem(connection) } },
      ...own.map((controller) => ({ Put: { TableName: this.tableName, Item: membershipItem(connection, controller) } })),
    ];
    return transactWrite(this.doc, items);
  }

  async get(connectionId: string, now: number): Promise<ConnectionRecord | undefined> {
    const { Item: item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: connectionKey(connectionId), ConsistentRead: true }),
    );
    return item && isLive(item, now) ? connectionFromItem(item) : undefined;
  }

  /**
   * Memberships first, then the connection's list: if this fails half way, the retry writes the
   * memberships again, so the list never names a controller that invokeToAll cannot find.
   * The list grows only by appending, so its size is the optimistic lock against a concurrent
   * frame of the same connection opening another controller. And because memberships come
   * first, a controller already in the caller's list has its membership: nothing to do.
   */
  async openControllers(connection: ConnectionRecord, controllers: string[]): Promise<void> {
    const wanted = distinct(controllers);
    if (wanted.every((controller) => connection.controllers.includes(controller))) return;
    // A persistent session's memberships are the session's (openSessionControllers), not the connection's.
    const own = connection.sessionKind === 'clean' ? wanted : [];
    const memberships = own.map((controller) => ({ PutRequest: { Item: membershipItem(connection, controller) } }));
    await batchWrite(this.doc, this.tableName, memberships, this.options.batch);

    let known = connection.controllers;
    for (let attempt = 0; attempt < OPEN_TRIES; attempt += 1) {
      const added = wanted.filter((controller) => !known.includes(controller));
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: connectionKey(connection.connectionId),
            UpdateExpression: 'SET controllers = list_append(controllers, :added)',
            ConditionExpression: 'attribute_exists(pk) AND size(controllers) = :size',
            ExpressionAttributeValues: { ':added': added, ':size': known.length },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        const current = itemOfFailedCondition(error);
        if (current === undefined) {
          // The connection is gone ($disconnect got there first): take back what was just written.
          const deletes = own.map((controller) => ({ DeleteRequest: { Key: membershipKey(controller, connection.connectionId) } }));
          await batchWrite(this.doc, this.tableName, deletes, this.options.batch);
          return;
        }
        known = (current.controllers ?? []) as string[];
      }
    }
    throw new Error(`qosgate: could not open controllers on ${connection.connectionId} after ${OPEN_TRIES} tries`);
  }

  async setWill(connectionId: string, will: Will | undefined, now: number): Promise<boolean> {
    const update = will === undefined ? { UpdateExpression: 'REMOVE will' } : { UpdateExpression: 'SET will = :will' };
    return conditionally(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: connectionKey(connectionId),
          ...update,
          ConditionExpression: `attribute_exists(pk) AND ${LIVE_FILTER} AND attribute_not_exists(endingAt) AND attribute_not_exists(disconnecting)`,
          ExpressionAttributeValues: { ':now': now, ...(will !== undefined ? { ':will': willItem(will) } : {}) },
        }),
      ),
    );
  }

  async markDisconnecting(connectionId: string): Promise<void> {
    await conditionally(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: connectionKey(connectionId),
          UpdateExpression: 'SET disconnecting = :true REMOVE will',
          // Never writes a record back into being: a gone connection has nothing to mark.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':true': true },
        }),
      ),
    );
  }

  /** One UpdateItem: SET endingAt, REMOVE will, conditional on no fresh take; ALL_OLD is the record as it was. */
  async claimEnd(connectionId: string, now: number, staleBefore: number): Promise<ConnectionRecord | undefined> {
    try {
      const { Attributes: old } = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: connectionKey(connectionId),
          UpdateExpression: 'SET endingAt = :now REMOVE will',
          ConditionExpression: `attribute_exists(pk) AND ${LIVE_FILTER} AND (attribute_not_exists(endingAt) OR endingAt < :stale)`,
          ExpressionAttributeValues: { ':now': now, ':stale': staleBefore },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return old === undefined ? undefined : connectionFromItem(old);
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  async delete(connection: Pick<ConnectionRecord, 'connectionId' | 'controllers'>): Promise<void> {
    // The stored list may know controllers the caller's copy does not (opened by a later frame).
    const { Item: stored } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: connectionKey(connection.connectionId), ConsistentRead: true }),
    );
    const controllers = distinct([...connection.controllers, ...((stored?.controllers ?? []) as string[])]);
    const requests: WriteRequest[] = [
      { DeleteRequest: { Key: connectionKey(connection.connectionId) } },
      ...controllers.map((controller) => ({ DeleteRequest: { Key: membershipKey(controller, connection.connectionId) } })),
    ];
    await batchWrite(this.doc, this.tableName, requests, this.options.batch);
  }

  async *membersOf(controller: string, now: number): AsyncIterable<Recipient[]> {
    const pages = queryPages(this.doc, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: LIVE_FILTER,
      ExpressionAttributeValues: { ':pk': `ctrl#${controller}`, ':now': now },
      ConsistentRead: true,
      ...(this.options.pageSize ? { Limit: this.options.pageSize } : {}),
    });
    for await (const items of pages) {
      if (items.length > 0) yield items.map(recipientFromMembership);
    }
  }

  async memberPage(controller: string, now: number, page: AudiencePageRequest): Promise<AudiencePage> {
    const where = { tableName: this.tableName, partitionKey: 'pk', sortKey: 'sk', partition: `ctrl#${controller}` };
    return queryAudiencePage(this.doc, where, now, page, recipientFromMembership);
  }

  async openSessionControllers(member: SessionMember, controllers: string[]): Promise<boolean> {
    return this.writeSessionMemberships(member, distinct(controllers));
  }

  async attachSessionControllers(member: SessionMember, now: number): Promise<string[]> {
    const controllers = (await this.sessionListItems(member.sessionId, now)).map((item) => item.controller as string);
    return (await this.writeSessionMemberships(member, controllers)) ? controllers : [];
  }

  async detachSessionControllers(sessionId: string, connectionId: string, expiresAt: number, now: number): Promise<void> {
    const ttl = expiry(expiresAt);
    const values = { ':ttl': ttl.expiresAt, ':ms': ttl.expiresAtMs };
    const controllers = (await this.sessionListItems(sessionId, now)).map((item) => item.controller as string);
    await runLimited(controllers, DETACH_CONCURRENCY, async (controller) => {
      // Both or neither: the list item keeps the membership's expiry.
      await transactWrite(this.doc, [
        {
          Update: {
            TableName: this.tableName,
            Key: sessionMembershipKey(controller, sessionId),
            UpdateExpression: 'REMOVE connectionId SET expiresAt = :ttl, expiresAtMs = :ms',
            // Only if it still points at the ending connection: a takeover's re-pointing stands.
            ConditionExpression: 'connectionId = :c',
            ExpressionAttributeValues: { ...values, ':c': connectionId },
          },
        },
        {
          Update: {
            TableName: this.tableName,
            Key: sessionListKey(sessionId, controller),
            UpdateExpression: 'SET expiresAt = :ttl, expiresAtMs = :ms',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: values,
          },
        },
      ]);
    });
  }

  async deleteSessionControllers(sessionId: string, _now: number): Promise<void> {
    // Expired ones go too: nothing of the session should outlive it.
    const controllers = (await this.sessionListItems(sessionId)).map((item) => item.controller as string);
    const requests = controllers.flatMap((controller) => [
      { DeleteRequest: { Key: sessionMembershipKey(controller, sessionId) } },
      { DeleteRequest: { Key: sessionListKey(sessionId, controller) } },
    ]);
    await batchWrite(this.doc, this.tableName, requests, this.options.batch);
  }

  async sessionControllers(sessionId: string, now: number): Promise<SessionMembership[]> {
    const controllers = (await this.sessionListItems(sessionId, now)).map((item) => item.controller as string);
    const keys = controllers.map((controller) => sessionMembershipKey(controller, sessionId));
    const items = await batchGet(this.doc, this.tableName, keys, { ...this.options.batch, consistentRead: true });
    return items
      .filter((item) => isLive(item, now))
      .map((item) => compact<SessionMembership>({ ...recipientFromMembership(item), controller: item.controller, expiresAt: item.expiresAtMs }))
      .sort((a, b) => (a.controller < b.controller ? -1 : a.controller > b.controller ? 1 : 0));
  }

  async putSession(session: SessionRecord): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: sessionItem(session) }));
  }

  async putSessionIf(session: SessionRecord, seen: Pick<SessionRecord, 'connectionId'> | undefined, now: number): Promise<boolean> {
    // As getSession sees it: an item past its expiresAtMs is no session (TTL deletes it late).
    const condition =
      seen === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk) OR expiresAtMs < :now', ExpressionAttributeValues: { ':now': now } }
        : seen.connectionId === undefined
          ? { ConditionExpression: 'expiresAtMs >= :now AND attribute_not_exists(connectionId)', ExpressionAttributeValues: { ':now': now } }
          : { ConditionExpression: 'expiresAtMs >= :now AND connectionId = :c', ExpressionAttributeValues: { ':now': now, ':c': seen.connectionId } };
    return conditionally(() => this.doc.send(new PutCommand({ TableName: this.tableName, Item: sessionItem(session), ...condition })));
  }

  async getSession(sessionId: string, now: number): Promise<SessionRecord | undefined> {
    const { Item: item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: sessionKey(sessionId), ConsistentRead: true }),
    );
    return item && isLive(item, now) ? sessionFromItem(item) : undefined;
  }

  async detachSession(sessionId: string, connectionId: string, expiresAt: number): Promise<boolean> {
    const ttl = expiry(expiresAt);
    return conditionally(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: sessionKey(sessionId),
          UpdateExpression: 'REMOVE connectionId SET expiresAt = :ttl, expiresAtMs = :ms',
          // Also means the item exists, so no update creates a session.
          ConditionExpression: 'connectionId = :c',
          ExpressionAttributeValues: { ':c': connectionId, ':ttl': ttl.expiresAt, ':ms': ttl.expiresAtMs },
        }),
      ),
    );
  }

  async deleteSession(sessionId: string, connectionId: string): Promise<boolean> {
    return conditionally(() =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: sessionKey(sessionId),
          ConditionExpression: 'connectionId = :c',
          ExpressionAttributeValues: { ':c': connectionId },
        }),
      ),
    );
  }

  async getBacklog(sessionId: string, now: number): Promise<BacklogFlag> {
    const { Item: item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: backlogKey(sessionId), ConsistentRead: true }),
    );
    return { backlogged: item?.backlogged === true && isLive(item, now), epoch: typeof item?.epoch === 'number' ? item.epoch : 0 };
  }

  /**
   * No update creates an item unawares (as the subscription list's `remember`): move the epoch on
   * if the flag item exists, else create it at epoch 1, else (created meanwhile) move it on.
   */
  async flagBacklog(sessionId: string, expiresAt: number): Promise<void> {
    const ttl = expiry(expiresAt);
    const bump = () =>
      conditionally(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: backlogKey(sessionId),
            UpdateExpression: 'SET backlogged = :t, expiresAt = :ttl, expiresAtMs = :ms ADD epoch :one',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':t': true, ':one': 1, ':ttl': ttl.expiresAt, ':ms': ttl.expiresAtMs },
          }),
        ),
      );
    if (await bump()) return;
    const created = await conditionally(() =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...backlogKey(sessionId), backlogged: true, epoch: 1, ...ttl },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    if (!created && !(await bump())) throw new Error(`qosgate: could not flag the backlog of session ${sessionId}`);
  }

  async clearBacklog(sessionId: string, seenEpoch: number): Promise<boolean> {
    // Kept (not deleted) with its epoch: a delete would start the epoch afresh, and a clear that
    // read the old epoch could then undo a flagging made since.
    return conditionally(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: backlogKey(sessionId),
          UpdateExpression: 'SET backlogged = :f',
          ConditionExpression: 'epoch = :seen',
          ExpressionAttributeValues: { ':f': false, ':seen': seenEpoch },
        }),
      ),
    );
  }

  async markMemberships(sessionId: string, connectionId: string, backlogged: boolean, now: number): Promise<void> {
    const [connection, listed] = await Promise.all([this.get(connectionId, now), this.sessionListItems(sessionId, now)]);
    const own = connection && connection.sessionId === sessionId && connection.sessionKind === 'clean' ? distinct(connection.controllers) : [];
    const keys = [
      ...own.map((controller) => membershipKey(controller, connectionId)),
      ...listed.map((item) => sessionMembershipKey(item.controller as string, sessionId)),
    ];
    await runLimited(keys, MARK_CONCURRENCY, async (key) => {
      // Only an item that exists, is live and differs: no update creates a membership, and a
      // session flagged already costs no write beyond the failed conditions.
      await conditionally(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: backlogged ? 'SET backlogged = :t' : 'REMOVE backlogged',
            ConditionExpression: `attribute_exists(pk) AND sessionId = :s AND expiresAtMs >= :now AND ${backlogged ? 'attribute_not_exists(backlogged)' : 'attribute_exists(backlogged)'}`,
            ExpressionAttributeValues: { ':s': sessionId, ':now': now, ...(backlogged ? { ':t': true } : {}) },
          }),
        ),
      );
    });
  }

  /**
   * The session's list items, by a strongly consistent Query of its partition (never the
   * eventually consistent path an index would be); live ones only when `now` is given.
   */
  private sessionListItems(sessionId: string, now?: number): Promise<Item[]> {
    return queryAll(this.doc, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ctrl)',
      ExpressionAttributeValues: { ':pk': `session#${sessionId}`, ':ctrl': 'ctrl#', ...(now === undefined ? {} : { ':now': now }) },
      ...(now === undefined ? {} : { FilterExpression: LIVE_FILTER }),
      ConsistentRead: true,
    });
  }

  /**
   * Writes the session's memberships of `controllers` (and their list items) pointing at the
   * member's connection, each transaction conditional on that connection serving the
   * session. False if it does not (a newer connection took the session over).
   */
  private async writeSessionMemberships(member: SessionMember, controllers: string[]): Promise<boolean> {
    // Nothing to write still answers whether the connection serves the session, as the memory store does.
    if (controllers.length === 0) {
      const { Item: item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: sessionKey(member.sessionId), ConsistentRead: true }));
      return item?.connectionId === member.connectionId;
    }
    for (const part of chunk(controllers, CONTROLLERS_PER_TRANSACTION)) {
      const items: TransactItem[] = [
        {
          ConditionCheck: {
            TableName: this.tableName,
            Key: sessionKey(member.sessionId),
            ConditionExpression: 'connectionId = :c',
            ExpressionAttributeValues: { ':c': member.connectionId },
          },
        },
        ...part.flatMap((controller): TransactItem[] => [
          { Put: { TableName: this.tableName, Item: sessionMembershipItem(member, controller) } },
          { Put: { TableName: this.tableName, Item: sessionListItem(member, controller) } },
        ]),
      ];
      if (!(await transactWrite(this.doc, items))) return false;
    }
    return true;
  }
}

/** Whether a conditional write happened: a newer connection holding the session is an answer, not an error. */
async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}

function connectionKey(connectionId: string): Item {
  return { pk: `conn#${connectionId}`, sk: 'conn' };
}

function membershipKey(controller: string, connectionId: string): Item {
  return { pk: `ctrl#${controller}`, sk: connectionId };
}

function sessionKey(sessionId: string): Item {
  return { pk: `session#${sessionId}`, sk: 'session' };
}

/** Beside the session record (any session has this one; only a clientId's has a record). */
function backlogKey(sessionId: string): Item {
  return { pk: `session#${sessionId}`, sk: 'backlog' };
}

function connectionItem(connection: ConnectionRecord): Item {
  const will = connection.will === undefined ? undefined : willItem(connection.will);
  return compact({ ...connectionKey(connection.connectionId), ...connection, will, ...expiry(connection.expiresAt) });
}

/** A will as stored: its data as a JSON string, as every stored message's (items.ts toJson). */
function willItem(will: Will): Item {
  return { ...will, data: toJson(will.data) };
}

function willFromItem(item: Item): Will {
  return { controller: item.controller, topic: item.topic, data: fromJson(item.data), qos: item.qos, retain: item.retain === true };
}

function connectionFromItem(item: Item): ConnectionRecord {
  return {
    connectionId: item.connectionId,
    sessionId: item.sessionId,
    sessionKind: item.sessionKind,
    claimedQos: item.claimedQos,
    format: item.format,
    controllers: item.controllers ?? [],
    connectedAt: item.connectedAt,
    expiresAt: item.expiresAtMs,
    ...(item.will !== undefined ? { will: willFromItem(item.will as Item) } : {}),
    ...(item.disconnecting === true ? { disconnecting: true } : {}),
  };
}

/** A membership lives as long as its connection and carries everything delivery needs. */
function membershipItem(connection: ConnectionRecord, controller: string): Item {
  return {
    ...membershipKey(controller, connection.connectionId),
    sessionId: connection.sessionId,
    connectionId: connection.connectionId,
    sessionKind: connection.sessionKind,
    claimedQos: connection.claimedQos,
    format: connection.format,
    ...expiry(connection.expiresAt),
  };
}

/** Without connectionId where a persistent session is away: fan-out then parks or drops. */
function recipientFromMembership(item: Item): Recipient {
  return compact<Recipient>({
    sessionId: item.sessionId,
    connectionId: item.connectionId,
    sessionKind: item.sessionKind,
    claimedQos: item.claimedQos,
    format: item.format,
    backlogged: item.backlogged === true ? true : undefined,
  });
}

function sessionMembershipKey(controller: string, sessionId: string): Item {
  return { pk: `ctrl#${controller}`, sk: `session#${sessionId}` };
}

function sessionListKey(sessionId: string, controller: string): Item {
  return { pk: `session#${sessionId}`, sk: `ctrl#${controller}` };
}

/** A persistent session's membership, pointing at the connection serving it now. */
function sessionMembershipItem(member: SessionMember, controller: string): Item {
  return {
    ...sessionMembershipKey(controller, member.sessionId),
    sessionId: member.sessionId,
    connectionId: member.connectionId,
    sessionKind: member.sessionKind,
    claimedQos: member.claimedQos,
    format: member.format,
    controller,
    ...expiry(member.expiresAt),
  };
}

function sessionListItem(member: SessionMember, controller: string): Item {
  return { ...sessionListKey(member.sessionId, controller), controller, ...expiry(member.expiresAt) };
}

function sessionItem(session: SessionRecord): Item {
  return compact({ ...sessionKey(session.sessionId), ...session, ...expiry(session.expiresAt) });
}

function sessionFromItem(item: Item): SessionRecord {
  return compact<SessionRecord>({
    sessionId: item.sessionId,
    sessionKind: item.sessionKind,
    connectionId: item.connectionId,
    claimedQos: item.claimedQos,
    format: item.format,
    expiresAt: item.expiresAtMs,
  });
}

function distinct(values: string[]): string[] {
  return [...new Set(values)];
}
