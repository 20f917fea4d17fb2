import { isExpired } from '../core/expiry.js';
import type { PageJob } from '../core/page-job.js';
import type { PageEnd } from '../ports/page-claim-store.js';
import { deliverTo, emptyStats, type DeliveryStats } from './deliver.js';
import type { AppDeps, FanoutDeps } from './deps.js';
import { onceAcross, pagePartition, readAudienceExtent, readAudiencePage } from './fanout.js';

/**
 * What became of one page job: handed on (stats), skipped (finished before, or a QoS 0 page
 * claimed before: at most once), or busy (another worker holds it now: the caller fails the job
 * back to the queue, which hands it out again after its visibility timeout).
 */
export type PageOutcome = { result: 'delivered'; stats: DeliveryStats } | { result: 'skipped' | 'busy' };

/**
 * Hands one page of a large fan-out on (docs/architecture.md "Fan-out beyond one Lambda"):
 *
 *   claim page (lease) ─▶ read page, record its end ─▶ queue the next page ─▶ store + send ─▶ finish
 *
 * Idempotent, so a queue that hands the job out twice, or a worker that dies mid-page, stores
 * and sends nothing twice:
 * - the first claimant stores with putMany (nobody has an entry of this delivery in this page),
 *   marks the page stored, then sends;
 * - a claimant after a lease ran out unfinished reads the extent the first one recorded; if the
 *   page was marked stored, it stores and sends nothing (an entry a recipient acked meanwhile is
 *   gone, and storing it again would send it twice; the sweep posts the unposted ones, as after
 *   any lost post); if not, nothing of the page was posted yet, and it stores and sends afresh;
 * - a QoS 2 delivery's pages always store with putAbsent: a pubrel re-run (PROTOCOL §4) starts a
 *   second chain whose pages may overlap the first's, and a first claimant's putMany there could
 *   overwrite a completed entry (a second delivery);
 * - a finished page is skipped; a QoS 0 page claimed before is not sent again (at most once),
 *   but its chain still goes on.
 *
 * The entries carry the publish's `now` (createdAt, deadline, due time), not the worker's:
 * `workerNow` only times the lease. Throws if the next job cannot be queued (nothing of this
 * page is stored then; the queue retries the job).
 */
export async function deliverPage(deps: AppDeps, fanout: FanoutDeps, job: PageJob, workerNow: number): Promise<PageOutcome> {
  // PROTOCOL §4 per-message expiry: a job that waited in the queue past its message's end sends
  // and stores nothing, and queues no more of the chain (the rest of the audience is as late).
  if (isExpired({ messageExpiresAt: job.delivery.expiresAt }, workerNow)) return { result: 'skipped' };
  const page = { messageId: job.messageId, startKey: job.startKey };
  const expiresAt = job.now + deps.policy.messageTtlMs + deps.policy.expiryGraceMs;
  const claim = await fanout.claims.claim(page, workerNow + fanout.config.leaseMs, workerNow, expiresAt);
  if (claim.result === 'done') return { result: 'skipped' };
  if (claim.result === 'busy') return { result: 'busy' };

  const first = claim.result === 'first';
  let end: PageEnd | undefined = claim.end;
  let recipients;
  if (end === undefined) {
    const read = await readAudiencePage(deps, job.delivery, job.now, { startKey: job.startKey, limit: job.pageSize });
    end = await fanout.claims.recordEnd(page, read.next === undefined ? { last: true } : { endKey: read.next });
    // What this run read is the page only if its end is the one recorded.
    if (sameEnd(end, read.next)) recipients = read.recipients;
  }
  if ('endKey' in end) {
    await fanout.queue.send({ ...job, startKey: end.endKey });
    deps.metrics?.count('PageJobsQueued', 1);
  }
  // A page stored before (its worker died while sending): every entry is in place, and some may
  // have been posted and acked since; the sweep posts what the dead worker did not.
  if (claim.stored || (job.delivery.qos === 0 && !first)) {
    await fanout.claims.finish(page);
    return { result: 'skipped' };
  }
  recipients ??= await readAudienceExtent(deps, job.delivery, job.now, { startKey: job.startKey, ...('endKey' in end ? { endKey: end.endKey } : {}), limit: job.pageSize });
  // PROTOCOL §8: a session several matching partitions hold gets the message from one page only.
  recipients = await onceAcross(deps, job.delivery, pagePartition(job.delivery, job.startKey), recipients, job.now);
  // A first claim, or one whose predecessor died before its store ended (nothing was posted then):
  // putMany. QoS 2 always stores only where absent (see above).
  const rerun = job.delivery.rerun === true || job.delivery.qos === 2;
  const delivery = rerun ? { ...job.delivery, rerun: true } : job.delivery;
  const stats = await deliverTo(deps, recipients, delivery, job.messageId, job.now, emptyStats(), () => fanout.claims.markStored(page), workerNow);
  await fanout.claims.finish(page);
  return { result: 'delivered', stats };
}

function sameEnd(end: PageEnd, next: string | undefined): boolean {
  return 'endKey' in end ? end.endKey === next : next === undefined;
}
