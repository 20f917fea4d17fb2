import { encodePageJob, parsePageJob, type PageJob } from '../../core/page-job.js';
import type { PageQueue } from '../../ports/page-queue.js';

/**
 * Page jobs in a list, for tests and in-memory hosts: each job goes through its queue body
 * (encode, parse) as it would through SQS, so what a worker gets is what the queue could carry.
 * `fail` makes the next sends throw (a throttled queue).
 */
export class MemoryPageQueue implements PageQueue {
  private readonly bodies: string[] = [];
  /** Sends still to fail, and with what. */
  private failures: Error[] = [];

  async send(job: PageJob): Promise<void> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.bodies.push(encodePageJob(job));
  }

  /** The jobs sent and not yet taken, oldest first. */
  get jobs(): PageJob[] {
    return this.bodies.map(parsePageJob);
  }

  /** Takes every job sent so far, oldest first. */
  take(): PageJob[] {
    return this.bodies.splice(0).map(parsePageJob);
  }

  /** The next `count` sends throw `error` (default: SQS's throttling error). */
  fail(count = 1, error: Error = Object.assign(new Error('Rate exceeded'), { name: 'RequestThrottled' })): void {
    this.failures.push(...Array.from({ length: count }, () => error));
  }
}
