import { DeleteCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeadLetter, PendingEntry } from '../../core/types.js';
import type { DeadLetterStore } from '../../ports/dead-letter-store.js';
import { compact, expiry, fromJson, LIVE_FILTER, queryAll, toJson, type Item } from './items.js';

/**
 * Dead letters in the `deadLetters` table: pk sessionId, sk deadKey = `<deadAt, 15 digits>#<id>`
 * so a session's letters sort by when they died (string order equals time order while the
 * width holds: 15 digits of ms reach the year 33658). The entry is kept as a map with its
 * `data` as a JSON string; the letter's own expiry is the TTL pair.
 */
export class DynamoDbDeadLetterStore implements DeadLetterStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(letter: DeadLetter): Promise<void> {
    const item = {
      sessionId: letter.entry.sessionId,
      deadKey: deadKey(letter.deadAt, letter.entry.id),
      entry: compact({ ...letter.entry, data: toJson(letter.entry.data) }),
      reason: letter.reason,
      deadAt: letter.deadAt,
      ...expiry(letter.expiresAt),
    };
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  async delete(letter: { sessionId: string; id: string; deadAt: number }): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { sessionId: letter.sessionId, deadKey: deadKey(letter.deadAt, letter.id) } }));
  }

  /**
   * Every live dead letter of every session, by Scan, page by page. Not part of the port on
   * purpose: no handler may scan. It serves the operator's rare "what died anywhere?"
   * (tools/dead-letters.ts `list --all`, docs/deploy.md); the table holds only dead letters,
   * each kept for the dead-letter TTL, so a Scan reads little, and adding an index for this
   * would cost a write on every dead letter for a question asked by hand.
   */
  async *scanAll(now: number): AsyncGenerator<DeadLetter[]> {
    let startKey: Item | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: LIVE_FILTER,
          ExpressionAttributeValues: { ':now': now },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      yield (page.Items ?? []).map(fromItem);
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  async ofSession(sessionId: string, now: number): Promise<DeadLetter[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tableName,
      KeyConditionExpression: 'sessionId = :s',
      FilterExpression: LIVE_FILTER,
      ExpressionAttributeValues: { ':s': sessionId, ':now': now },
      ScanIndexForward: true,
      ConsistentRead: true,
    });
    return items.map(fromItem);
  }
}

/** The sort key: deadAt zero-padded to 15 digits, then `#` and the entry's id. */
export function deadKey(deadAt: number, id: string): string {
  return `${String(deadAt).padStart(15, '0')}#${id}`;
}

function fromItem(item: Item): DeadLetter {
  const entry = item.entry as Item;
  return {
    entry: compact({ ...entry, data: fromJson(entry.data) }) as PendingEntry,
    reason: item.reason,
    deadAt: item.deadAt,
    expiresAt: item.expiresAtMs,
  };
}
