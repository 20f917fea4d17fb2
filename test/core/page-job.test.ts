import { describe, expect, it } from 'vitest';
import { encodePageJob, PageJobError, parsePageJob, type PageJob } from '../../lambdas/core/page-job.js';

const job: PageJob = {
  delivery: { via: 'publish', controller: 'monitor', topic: 'site-1/boiler/temp', data: 1, qos: 1, filters: ['#', 'site-1/+/temp'] },
  messageId: 'm1',
  now: 1000,
  startKey: '{"p":1}',
  pageSize: 7,
};

describe('page jobs naming an audience’s filters (PROTOCOL §8)', () => {
  it('carry the filters, in their order, through the queue', () => {
    expect(parsePageJob(encodePageJob(job))).toEqual(job);
  });

  it('refuse filters that are not a list of names', () => {
    for (const filters of ['#', [1], ['']]) {
      expect(() => parsePageJob(JSON.stringify({ ...job, delivery: { ...job.delivery, filters } }))).toThrow(PageJobError);
    }
  });
});
