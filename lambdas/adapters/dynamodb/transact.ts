import { TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';

/** One item of a TransactWriteItems request, as the DocumentClient takes it. */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Tries of a transaction that another transaction or write got in the way of (TransactionConflict). */
const CONFLICT_TRIES = 5;

/**
 * Runs a TransactWriteItems request. Resolves true when it committed and false when one of
 * its conditions failed (someone else's write stands: an answer, not an error). A conflict
 * with a concurrent write on the same items is tried again; anything else is thrown.
 */
export async function transactWrite(doc: DynamoDBDocumentClient, items: TransactItem[]): Promise<boolean> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await doc.send(new TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      const codes = cancellationCodes(error);
      if (codes === undefined) throw error;
      if (codes.includes('ConditionalCheckFailed')) return false;
      if (!codes.includes('TransactionConflict') || attempt >= CONFLICT_TRIES) throw error;
    }
  }
}

/** The per-item reasons of a cancelled transaction (SDK v3 names the error), or undefined for any other error. */
function cancellationCodes(error: unknown): string[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code ?? 'None');
}
