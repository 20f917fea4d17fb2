import { createHash, randomUUID } from 'node:crypto';

/**
 * SQS standard queues in memory, with the semantics the fan-out relies on (and the local
 * runtime must not flatter): a received message is hidden for the visibility timeout and comes
 * back if not deleted; each receive counts (ApproximateReceiveCount) and hands out a fresh
 * receipt handle, and only the latest deletes (an older one is accepted and deletes nothing, as
 * in SQS); with a redrive policy a message received maxReceiveCount times moves to the
 * dead-letter queue on the next receive instead of being handed out again.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 *
 * Time is injected (`now`), so tests move it by hand.
 */

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export interface QueueSettings {
  /** Seconds a received message stays hidden (SQS default 30). */
  visibilityTimeoutSeconds: number;
  /** Seconds a message is kept (SQS default 4 days). */
  messageRetentionSeconds: number;
  redrive?: { deadLetterQueue: string; maxReceiveCount: number };
}

export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  receiptHandle?: string;
}

/** A received message, as ReceiveMessage hands it out. */
export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  attributes: { ApproximateReceiveCount: string; SentTimestamp: string; ApproximateFirstReceiveTimestamp: string; SenderId: string };
}

/** An SQS error, by the name the SDK gives it (its `__type` shape) and its query-compatible code. */
export class SqsError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly queryCode: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

interface Queue {
  name: string;
  settings: QueueSettings;
  messages: StoredMessage[];
}

export class SqsEngine {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly now: () => number = Date.now) {}

  createQueue(name: string, settings: Partial<QueueSettings> = {}): void {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new SqsError('InvalidParameterValue', `queue name ${JSON.stringify(name)}: 1 to 80 of A-Z a-z 0-9 - _`, 'InvalidParameterValue');
    if (settings.redrive && !this.queues.has(settings.redrive.deadLetterQueue)) {
      throw new SqsError('InvalidParameterValue', `dead-letter queue ${settings.redrive.deadLetterQueue} does not exist`, 'InvalidParameterValue');
    }
    if (this.queues.has(name)) return;
    this.queues.set(name, { name, settings: { visibilityTimeoutSeconds: 30, messageRetentionSeconds: 345_600, ...settings }, messages: [] });
  }

  has(name: string): boolean {
    return this.queues.has(name);
  }

  settingsOf(name: string): QueueSettings {
    return { ...this.queue(name).settings };
  }

  send(name: string, body: string, delaySeconds = 0): { messageId: string; md5OfBody: string } {
    const queue = this.queue(name);
    if (body.length === 0) throw new SqsError('InvalidParameterValue', 'the message body must not be empty', 'InvalidParameterValue');
    const now = this.now();
    const message: StoredMessage = { messageId: randomUUID(), body, md5OfBody: md5(body), sentAt: now, visibleAt: now + delaySeconds * 1000, receiveCount: 0 };
    queue.messages.push(message);
    return { messageId: message.messageId, md5OfBody: message.md5OfBody };
  }

  /** Up to `max` visible messages, oldest first, each hidden for the visibility timeout from now. */
  receive(name: string, max: number, visibilityTimeoutSeconds?: number): ReceivedMessage[] {
    const queue = this.queue(name);
    const now = this.now();
    this.dropExpired(queue, now);
    const received: ReceivedMessage[] = [];
    for (const message of [...queue.messages]) {
      if (received.length >= max) break;
      if (message.visibleAt > now) continue;
      const redrive = queue.settings.redrive;
      if (redrive && message.receiveCount >= redrive.maxReceiveCount) {
        this.moveToDeadLetters(queue, message, redrive.deadLetterQueue);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.receiptHandle = randomUUID();
      message.visibleAt = now + (visibilityTimeoutSeconds ?? queue.settings.visibilityTimeoutSeconds) * 1000;
      received.push({
        messageId: message.messageId,
        receiptHandle: message.receiptHandle,
        body: message.body,
        md5OfBody: message.md5OfBody,
        attributes: {
          ApproximateReceiveCount: String(message.receiveCount),
          SentTimestamp: String(message.sentAt),
          ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
          SenderId: LOCAL_ACCOUNT,
        },
      });
    }
    return received;
  }

  /** Deletes by the latest receipt handle; an older handle of a message received since deletes nothing, as in SQS. */
  delete(name: string, receiptHandle: string): void {
    const queue = this.queue(name);
    const index = queue.messages.findIndex((m) => m.receiptHandle === receiptHandle);
    if (index >= 0) queue.messages.splice(index, 1);
  }

  changeVisibility(name: string, receiptHandle: string, visibilityTimeoutSeconds: number): void {
    const message = this.queue(name).messages.find((m) => m.receiptHandle === receiptHandle);
    if (!message || message.visibleAt <= this.now()) throw new SqsError('MessageNotInflight', 'the message is not in flight', 'AWS.SimpleQueueService.MessageNotInflight');
    message.visibleAt = this.now() + visibilityTimeoutSeconds * 1000;
  }

  /** Visible (ApproximateNumberOfMessages) and in flight (ApproximateNumberOfMessagesNotVisible). */
  counts(name: string): { visible: number; inFlight: number } {
    const now = this.now();
    const messages = this.queue(name).messages;
    const visible = messages.filter((m) => m.visibleAt <= now).length;
    return { visible, inFlight: messages.length - visible };
  }

  /** Every message of a queue, in flight or not (for tests and the dashboard). */
  peek(name: string): StoredMessage[] {
    return this.queue(name).messages.map((m) => ({ ...m }));
  }

  purge(name: string): void {
    this.queue(name).messages.length = 0;
  }

  private moveToDeadLetters(queue: Queue, message: StoredMessage, deadLetterQueue: string): void {
    queue.messages.splice(queue.messages.indexOf(message), 1);
    // SQS keeps the body and the original send time; the receive count starts again.
    const { receiptHandle: _handle, firstReceivedAt: _first, ...rest } = message;
    this.queue(deadLetterQueue).messages.push({ ...rest, receiveCount: 0, visibleAt: this.now() });
  }

  private dropExpired(queue: Queue, now: number): void {
    const oldest = now - queue.settings.messageRetentionSeconds * 1000;
    queue.messages = queue.messages.filter((m) => m.sentAt >= oldest);
  }

  private queue(name: string): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new SqsError('QueueDoesNotExist', `the queue ${name} does not exist`, 'AWS.SimpleQueueService.NonExistentQueue');
    return queue;
  }
}
