import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConnectionRecord, Recipient, SessionRecord } from '../../core/types.js';
import type { ConnectionStore } from '../../ports/connection-store.js';
import { batchWrite, type BatchOptions, type WriteRequest } from './batch.js';
import {
  compact,
  expiry,
  isConditionalCheckFailed,
  isLive,
  itemOfFailedCondition,
  LIVE_FILTER,
  queryPages,
  type Item,
} from './items.js';

export interface DynamoDbConnectionStoreOptions {
  /** Most memberships per Query page (default: DynamoDB's 1 MB page). */
  pageSize?: number;
  batch?: BatchOptions;
}

/** Tries of openControllers' optimistic list update before giving up under contention. */
const OPEN_TRIES = 5;

/**
 * Connections, memberships and sessions in the one `connections` table (see schema.ts):
 *
 *   pk = conn#<connectionId>   sk = conn            the ConnectionRecord
 *   pk = ctrl#<controller>     sk = <connectionId>  membership, carrying what a Recipient needs
 *   pk = session#<sessionId>   sk = session         the SessionRecord
 *
 * invokeToAll Queries one controller's memberships and reads nothing more.
 */
export class DynamoDbConnectionStore implements ConnectionStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: DynamoDbConnectionStoreOptions = {},
  ) {}

  async put(connection: ConnectionRecord): Promise<void> {
    const requests: WriteRequest[] = [
      { PutRequest: { Item: connectionItem(connection) } },
      ...distinct(connection.controllers).map((controller) => ({
        PutRequest: { Item: membershipItem(connection, controller) },
      })),
    ];
    await batchWrite(this.doc, this.tableName, requests, this.options.batch);
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
    const memberships = wanted.map((controller) => ({ PutRequest: { Item: membershipItem(connection, controller) } }));
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
          const deletes = wanted.map((controller) => ({ DeleteRequest: { Key: membershipKey(controller, connection.connectionId) } }));
          await batchWrite(this.doc, this.tableName, deletes, this.options.batch);
          return;
        }
        known = (current.controllers ?? []) as string[];
      }
    }
    throw new Error(`qosgate: could not open controllers on ${connection.connectionId} after ${OPEN_TRIES} tries`);
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

  async putSession(session: SessionRecord): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: sessionItem(session) }));
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

function connectionItem(connection: ConnectionRecord): Item {
  return compact({ ...connectionKey(connection.connectionId), ...connection, ...expiry(connection.expiresAt) });
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

function recipientFromMembership(item: Item): Recipient {
  return {
    sessionId: item.sessionId,
    connectionId: item.connectionId,
    sessionKind: item.sessionKind,
    claimedQos: item.claimedQos,
    format: item.format,
  };
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
