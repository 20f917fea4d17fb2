import { unmarshall } from '@aws-sdk/util-dynamodb';
import { sinkRecordOf, type SinkRecord } from '../../core/sink-record.js';
import { historyRecordOf } from './dynamodb-history-store.js';

/**
 * The §11 record of a history table stream record's new image (AttributeValue JSON, as DynamoDB
 * Streams hands it to Lambda), or undefined if the image is not a history item (schema.ts `history`).
 */
export function sinkRecordOfImage(image: Record<string, unknown> | undefined): SinkRecord | undefined {
  if (image === undefined) return undefined;
  let item: Record<string, unknown>;
  try {
    item = unmarshall(image as Parameters<typeof unmarshall>[0]);
  } catch {
    return undefined;
  }
  const isHistoryItem =
    typeof item.topicKey === 'string' &&
    typeof item.msgKey === 'string' &&
    typeof item.controller === 'string' &&
    typeof item.topic === 'string' &&
    typeof item.clientId === 'string' &&
    typeof item.messageId === 'string' &&
    typeof item.receivedAt === 'number' &&
    (item.qos === 0 || item.qos === 1 || item.qos === 2);
  if (!isHistoryItem) return undefined;
  try {
    return sinkRecordOf(historyRecordOf(item));
  } catch {
    return undefined;
  }
}
