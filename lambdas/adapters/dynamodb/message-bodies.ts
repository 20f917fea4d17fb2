import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PendingEntry } from '../../core/types.js';
import { batchGet, batchWrite, type BatchOptions, type WriteRequest } from './batch.js';
import { compact, expiry, fromJson, toJson, type Item } from './items.js';
import { topicKey } from './schema.js';

/**
 * Message bodies in the `messages` table: one item per delivery (a server id names one
 * message), however many recipients reference it, so a pending entry stays a small reference
 * (< 1 KB: one write unit to put, one to delete) whatever the payload.
 *
 *   item: topicKey = <controller>|<topic>, msgKey = <createdAt, 13 digits>#<id>,
 *         data (JSON string), qos, retained?, messageExpiresAt? (PROTOCOL §4 per-message expiry:
 *         the message's end), expiresAt/expiresAtMs (the latest of its entries': never later
 *         than the message's end plus the grace, as theirs are not)
 *
 * Writers remember the bodies they wrote (a per-instance LRU of key, content and expiry), so a
 * fan-out's pages written by one container write the body once; another container (a page
 * worker) writes the same body again, which is idempotent: same key, same content. A body is
 * written again when its expiry grows (a replayed dead letter, a dead-letter lease), so it never
 * expires before an entry that references it. Nothing deletes bodies: TTL does, for free.
 */

/** The key of an entry's body: derived from fields every entry (and so every reference) has. */
export interface BodyKey {
  topicKey: string;
  msgKey: string;
}

export function bodyKeyOf(entry: Pick<PendingEntry, 'controller' | 'topic' | 'createdAt' | 'id'>): BodyKey {
  // 13 digits hold every epoch ms until the year 2286, so msgKeys sort by creation time.
  return { topicKey: topicKey(entry.controller, entry.topic), msgKey: `${String(entry.createdAt).padStart(13, '0')}#${entry.id}` };
}

/** One string per body key, for maps and the LRU. */
export function bodyKeyString(key: BodyKey): string {
  return `${key.topicKey}\u0000${key.msgKey}`;
}

export interface MessageBodiesOptions {
  batch?: BatchOptions;
  /** How many written bodies an instance remembers (default 10,000: about a megabyte of keys). */
  remember?: number;
}

/** The Put requests of bodies to write, and what to remember once they are written. */
export interface BodyWrites {
  requests: WriteRequest[];
  /** Call after the requests were written: the LRU learns them only then. */
  written(): void;
}

export class MessageBodies {
  /** body key -> signature (expiry and content) of what this instance wrote last. */
  private readonly recent = new Map<string, string>();
  private readonly capacity: number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly options: MessageBodiesOptions = {},
  ) {
    this.capacity = options.remember ?? 10_000;
  }

  /**
   * The bodies of `entries` that this instance has not written as they are now. Entries of one
   * body key are one message: the last entry's data wins (as putMany's last entry for a key
   * does), the expiry is the latest, the QoS the highest it is delivered at.
   */
  writesFor(entries: PendingEntry[]): BodyWrites {
    const bodies = new Map<string, { key: BodyKey; entry: PendingEntry; expiresAt: number; qos: 1 | 2; retained: boolean }>();
    for (const entry of entries) {
      const key = bodyKeyOf(entry);
      const seen = bodies.get(bodyKeyString(key));
      bodies.set(bodyKeyString(key), {
        key,
        entry,
        expiresAt: Math.max(entry.expiresAt, seen?.expiresAt ?? entry.expiresAt),
        qos: seen?.qos === 2 ? 2 : entry.qos,
        retained: (seen?.retained ?? false) || entry.retained === true,
      });
    }
    const requests: WriteRequest[] = [];
    const learned: Array<[string, string]> = [];
    for (const [name, body] of bodies) {
      const data = toJson(body.entry.data);
      const signature = `${body.expiresAt}\u0000${signatureOf(data)}`;
      if (this.recent.get(name) === signature) {
        this.touch(name, signature);
        continue;
      }
      const end = body.entry.messageExpiresAt;
      const item = compact({ ...body.key, data, qos: body.qos, retained: body.retained ? true : undefined, messageExpiresAt: end, ...expiry(body.expiresAt) });
      requests.push({ PutRequest: { Item: item } });
      learned.push([name, signature]);
    }
    return { requests, written: () => learned.forEach(([name, signature]) => this.touch(name, signature)) };
  }

  /** Writes the bodies of `entries` not written recently (BatchWriteItem), then remembers them. */
  async write(entries: PendingEntry[]): Promise<void> {
    const writes = this.writesFor(entries);
    await batchWrite(this.doc, this.tableName, writes.requests, this.options.batch);
    writes.written();
  }

  /**
   * The data of each body key asked for that has a body (BatchGetItem, strongly consistent: a
   * resume or flow control reading right after a delivery's write must see its body), by
   * bodyKeyString. A key without a body is not in the map.
   */
  async dataOf(keys: BodyKey[]): Promise<Map<string, unknown>> {
    const distinct = [...new Map(keys.map((key) => [bodyKeyString(key), key])).values()];
    if (distinct.length === 0) return new Map();
    const items = await batchGet(
      this.doc,
      this.tableName,
      distinct.map((key) => ({ topicKey: key.topicKey, msgKey: key.msgKey })),
      this.options.batch,
    );
    return new Map(items.map((item: Item) => [bodyKeyString({ topicKey: item.topicKey, msgKey: item.msgKey }), fromJson(item.data)]));
  }

  /** Remembers a body as most recently used, forgetting the least recently used beyond capacity. */
  private touch(name: string, signature: string): void {
    this.recent.delete(name);
    this.recent.set(name, signature);
    if (this.recent.size > this.capacity) this.recent.delete(this.recent.keys().next().value as string);
  }
}

/** A short fingerprint of a body's JSON (length and FNV-1a): the LRU need not keep the payload. */
function signatureOf(json: string | undefined): string {
  if (json === undefined) return 'none';
  let hash = 0x811c9dc5;
  for (let i = 0; i < json.length; i += 1) {
    hash ^= json.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${json.length}:${hash.toString(36)}`;
}
