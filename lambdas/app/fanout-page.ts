import { isExpired } from '../core/expiry.js';
import type { PageEnd, PageJob } from '../core/page-job.js';
import type { Recipient } from '../core/types.js';
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
 *   claim page (lease) ─▶ read the span, record its ends ─▶ queue its other pages and the next span ─▶ store + send ─▶ finish
 *
 * A span job reads where each of its next `spanPages` pages ends (one Query each), records the
 * ends, and queues every page but its first as a bounded job and the rest of the audience as
 * the next span job, all before storing anything: so the pages of one span run side by side on
 * as many workers as the queue's concurrency allows, and the audience's critical path is one
 * Query a page, not a worker's whole run. A bounded job records the end it was given and queues
 * nothing.
 *
 * Idempotent, so a queue that hands the job out twice, or a worker that dies mid-page, stores
 * and sends nothing twice:
 * - the first claimant stores with putMany (nobody has an entry of this delivery in this page),
 *   marks the page stored, then sends;
 * - a claimant after a lease ran out unfinished reads the extents the first one recorded (and
 *   queues the same bounded jobs again, which their own claims make harmless); if the
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
 * `workerNow` only times the lease. Throws if a job cannot be queued (nothing of this page is
 * stored then; the queue retries the job, which queues the same jobs again).
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
  let ends: PageEnd[] | undefined = claim.ends;
  let recipients: Recipient[] | undefined;
  if (ends === undefined && job.end !== undefined) ends = await fanout.claims.recordEnds(page, [job.end]);
  if (ends === undefined) {
    const read = await readSpan(deps, job);
    ends = await fanout.claims.recordEnds(page, read.ends);
    // What this run read is the page only if its end is the one recorded.
    if (sameEnd(ends[0] as PageEnd, read.ends[0] as PageEnd)) recipients = read.firstPage;
  }
  const followUps = followUpsOf(job, ends);
  if (followUps.length > 0) {
    await Promise.all(followUps.map((next) => fanout.queue.send(next)));
    deps.metrics?.count('PageJobsQueued', followUps.length);
  }
  const end = ends[0] as PageEnd;
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

/** Where each of the span's pages ends (one Query each), and the first page's recipients. */
async function readSpan(deps: AppDeps, job: PageJob): Promise<{ ends: PageEnd[]; firstPage: Recipient[] }> {
  const ends: PageEnd[] = [];
  let firstPage: Recipient[] | undefined;
  let startKey = job.startKey;
  for (let i = 0; i < (job.spanPages ?? 1); i += 1) {
    const read = await readAudiencePage(deps, job.delivery, job.now, { startKey, limit: job.pageSize });
    firstPage ??= read.recipients;
    if (read.next === undefined) {
      ends.push({ last: true });
      break;
    }
    ends.push({ endKey: read.next });
    startKey = read.next;
  }
  return { ends, firstPage: firstPage ?? [] };
}

/**
 * The jobs a span queues from its recorded ends: a bounded job for each page after its first,
 * and the next span where its last page ends (none at the audience's end). A bounded job
 * queues none.
 */
export function followUpsOf(job: PageJob, ends: PageEnd[]): PageJob[] {
  if (job.end !== undefined) return [];
  const { spanPages, end: _bounded, ...base } = job;
  const jobs: PageJob[] = [];
  for (let i = 1; i < ends.length; i += 1) {
    const start = ends[i - 1] as { endKey: string };
    jobs.push({ ...base, startKey: start.endKey, end: ends[i] as PageEnd });
  }
  const last = ends.at(-1) as PageEnd;
  if ('endKey' in last) jobs.push({ ...base, startKey: last.endKey, ...(spanPages !== undefined ? { spanPages } : {}) });
  return jobs;
}

function sameEnd(a: PageEnd, b: PageEnd): boolean {
  return 'endKey' in a ? 'endKey' in b && a.endKey === b.endKey : !('endKey' in b);
}
