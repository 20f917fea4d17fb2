import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PageJob } from '../../lambdas/core/page-job.js';
import type { PageQueue } from '../../lambdas/ports/page-queue.js';

/**
 * The PageQueue contract (ports/page-queue.ts), run on the memory adapter and on the SQS adapter
 * talking to the local SQS engine through the real SDK client: what is sent comes out whole, as a
 * job the worker can parse; what the queue refuses throws (so nobody acks it).
 */
export interface PageQueueFixture {
  queue: PageQueue;
  /** Takes every job the queue holds now, parsed from its message body as the worker parses it. */
  received(): Promise<PageJob[]>;
  /** The queue refuses the next sends (throttling that outlasts the client's retries). */
  refuseSends(count: number): void;
  close(): Promise<void>;
}

const job = (overrides: Partial<PageJob> = {}): PageJob => ({
  delivery: { via: 'publish', controller: 'monitor', topic: 'news', data: { text: 'ünïcødé ✓ 😀', list: [1, null, '', {}], n: 0.1 + 0.2 }, qos: 1 },
  messageId: '0000004000000000-abc',
  now: 4_000_000_000_000,
  startKey: '{"topicKey":"monitor|news","sessionId":"s-007"}',
  pageSize: 1000,
  ...overrides,
});

export function describePageQueueContract(label: string, makeFixture: () => Promise<PageQueueFixture>): void {
  describe(`${label}: page queue contract`, () => {
    let fixture: PageQueueFixture;
    beforeEach(async () => {
      fixture = await makeFixture();
    });
    afterEach(async () => {
      await fixture.close();
    });

    it('a sent job comes out whole, every field as sent', async () => {
      const sent = job();
      await fixture.queue.send(sent);
      expect(await fixture.received()).toEqual([sent]);
    });

    it('keeps the flags of a retained, re-run or invoke delivery, and a QoS 0 or 2 one', async () => {
      const jobs = [
        job({ delivery: { via: 'invoke', controller: 'monitor', topic: 'temp', data: 21, qos: 0 } }),
        job({ messageId: 'b', delivery: { via: 'publish', controller: 'c', topic: 't', data: null, qos: 2, retained: true, rerun: true } }),
      ];
      for (const j of jobs) await fixture.queue.send(j);
      const got = await fixture.received();
      // A standard queue promises no order.
      expect(got.sort((a, b) => a.messageId.localeCompare(b.messageId))).toEqual(jobs.sort((a, b) => a.messageId.localeCompare(b.messageId)));
    });

    it('many jobs: each one arrives', async () => {
      const jobs = Array.from({ length: 25 }, (_, i) => job({ messageId: `m-${String(i).padStart(2, '0')}` }));
      await Promise.all(jobs.map((j) => fixture.queue.send(j)));
      const got: PageJob[] = [];
      for (let round = 0; round < 10 && got.length < jobs.length; round += 1) got.push(...(await fixture.received()));
      expect(got.map((j) => j.messageId).sort()).toEqual(jobs.map((j) => j.messageId));
    });

    it('a refused send throws, and nothing is queued', async () => {
      fixture.refuseSends(1);
      await expect(fixture.queue.send(job())).rejects.toThrow();
      expect(await fixture.received()).toEqual([]);
      await fixture.queue.send(job());
      expect(await fixture.received()).toHaveLength(1);
    });
  });
}
