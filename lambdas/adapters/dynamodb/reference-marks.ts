import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { idTime } from '../../core/delivery.js';
import type { PendingEntry } from '../../core/types.js';
import { runLimited } from './batch.js';
import { expiry, isConditionalCheckFailed, isLive } from './items.js';

/**
 * Reference marks (`firstSends: marker`): per session, the newest id time for which a QoS 1
 * reference item may exist. A msgack deletes blind only the ids up to it; the newer ones can
 * only be first sends that wait in their due marker, which the frame's ack record ends.
 *
 *   pending item: sessionId = refs#<sessionId>, id = refs, until (ms), TTL pair
 *
 * Every write that creates a QoS 1 reference (putMany, putAbsent, a promotion) raises `until`
 * to its id's time, BEFORE the reference is written, so an ack that reads the mark after the
 * reference exists deletes it. (An ack that read the mark just before leaves the reference,
 * which is resent once at its due time and ended by the client's next ack: a duplicate, as
 * QoS 1 allows.) Raising costs a conditional write; a writer raises a little further than it
 * needs (MARGIN) and remembers it, so a session that gets references for a while (away, held)
 * costs one write a minute per function instance, not one per message.
 *
 * A missing or expired mark means no reference: a fresh session's acks delete nothing. The mark
 * lives as long as the references it covers. What it cannot know, the references a deployment of
 * the `reference` layout wrote before the switch, due() catches: before it lists a QoS 1
 * reference it looks for the id in the session's ack records, and deletes an acked one instead
 * (DynamoDbPendingStore.due). Such a reference stays listed by ofSession until then.
 */

/** Mark partitions begin so; a sessionId never contains `#`. */
export const MARK_PREFIX = 'refs#';

/** How much further than needed a writer raises a mark, so the next messages need no write. */
const MARGIN_MS = 60_000;
/** Sessions a store remembers having marked; past that it starts over. */
const REMEMBER = 10_000;

export class ReferenceMarks {
  /** sessionId -> an `until` this store knows the mark has at least. */
  private readonly raised = new Map<string, number>();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Raises the marks of the QoS 1 entries' sessions to their ids' times (before their references are written). */
  async cover(entries: PendingEntry[]): Promise<void> {
    const newest = new Map<string, { time: number; lifetime: number }>();
    for (const entry of entries) {
      if (entry.qos !== 1) continue;
      const time = idTimeOf(entry.id) ?? entry.createdAt;
      const seen = newest.get(entry.sessionId);
      // As long as the entries live after their id's time, so the mark outlives what it covers.
      newest.set(entry.sessionId, { time: Math.max(seen?.time ?? 0, time), lifetime: Math.max(seen?.lifetime ?? 0, entry.expiresAt - time) });
    }
    const needed = [...newest].filter(([sessionId, { time }]) => (this.raised.get(sessionId) ?? -1) < time);
    await runLimited(needed, 16, async ([sessionId, { time, lifetime }]) => {
      const until = time + MARGIN_MS;
      const ends = expiry(until + lifetime);
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: this.key(sessionId),
            UpdateExpression: 'SET #until = :until, expiresAt = :s, expiresAtMs = :ms',
            ConditionExpression: 'attribute_not_exists(#until) OR #until < :until',
            ExpressionAttributeNames: { '#until': 'until' },
            ExpressionAttributeValues: { ':until': until, ':s': ends.expiresAt, ':ms': ends.expiresAtMs },
          }),
        );
      } catch (error) {
        // Raised further by someone else already: at least `until` all the same.
        if (!isConditionalCheckFailed(error)) throw error;
      }
      if (this.raised.size >= REMEMBER) this.raised.clear();
      this.raised.set(sessionId, until);
    });
  }

  /** The session's mark, strongly consistent: -Infinity without one (no reference was written since the switch). */
  async until(sessionId: string, now: number): Promise<number> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: this.key(sessionId), ConsistentRead: true }));
    return out.Item !== undefined && isLive(out.Item, now) ? (out.Item.until as number) : Number.NEGATIVE_INFINITY;
  }

  private key(sessionId: string): { sessionId: string; id: string } {
    return { sessionId: `${MARK_PREFIX}${sessionId}`, id: 'refs' };
  }
}

/** The time a server id begins with, if it is one. */
export function idTimeOf(id: string): number | undefined {
  return idTime(id, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
}
