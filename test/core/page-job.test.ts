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

describe('span and bounded page jobs', () => {
  it('carry a span\'s page count, or a bounded page\'s end, through the queue', () => {
    const span = { ...job, spanPages: 10 };
    const bounded = { ...job, end: { endKey: '{"p":1,"k":"s-9"}' } };
    const last = { ...job, end: { last: true as const } };
    for (const one of [span, bounded, last]) expect(parsePageJob(encodePageJob(one))).toEqual(one);
  });

  it('read a job from before spans (neither field) as it was', () => {
    expect(parsePageJob(encodePageJob(job))).not.toHaveProperty('spanPages');
    expect(parsePageJob(encodePageJob(job))).not.toHaveProperty('end');
  });

  it.each([
    [{ spanPages: 0 }, /spanPages must be a positive integer, got 0/],
    [{ spanPages: 2.5 }, /spanPages must be a positive integer/],
    [{ end: { endKey: '' } }, /end must be \{"endKey": <a page key>\} or \{"last": true\}/],
    [{ end: { last: false } }, /end must be/],
    [{ end: { endKey: 'k', last: true } }, /end must be/],
    [{ spanPages: 3, end: { last: true } }, /a span \(spanPages\) or bounded \(end\), not both/],
  ])('refuse %j, saying why', (fields, message) => {
    expect(() => parsePageJob(JSON.stringify({ ...job, ...fields }))).toThrow(PageJobError);
    expect(() => parsePageJob(JSON.stringify({ ...job, ...fields }))).toThrow(message);
  });
});
