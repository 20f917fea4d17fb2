import { describe, expect, it } from 'vitest';
import { FANOUT_PAGE, HANDS_ON_A_PAGE_MB, RESEND, ROUTES } from '../lambdas/routes.js';

/**
 * The route table's rule for fan-out (docs/architecture.md "Fan-out beyond one Lambda"): a function
 * that may hand a message on to an audience of any size (a client's publish, a will, a presence
 * message) hands on at most the inline page itself and queues the rest, so no audience is looped
 * through in one invocation; a route function that does has the memory that page needs.
 */
describe('the route table', () => {
  // What handing on takes: writing pending entries for the subscribers it reads, and the retained value.
  const handsOn = [...ROUTES, RESEND, FANOUT_PAGE].filter((spec) => spec.tables.subscriptions === 'readWrite' && spec.tables.retained === 'readWrite' && spec.tables.pending === 'readWrite');

  it('finds the functions that may hand a message on: every client publish, $connect, $disconnect, subscribe, the sweep, the page worker', () => {
    expect(handsOn.map((spec) => spec.id).sort()).toEqual(['Connect', 'Default', 'Disconnect', 'FanoutPage', 'Publish', 'Pubrel', 'Resend', 'Subscribe']);
  });

  it.each(handsOn)('$id may use the fan-out queue', (spec) => {
    expect(spec.pageQueue).toBe(spec.id === FANOUT_PAGE.id ? 'consume' : 'send');
  });

  it.each(ROUTES.filter((spec) => spec.pageQueue === 'send'))('route $id has the inline page’s memory', (spec) => {
    expect(spec.memoryMb).toBe(HANDS_ON_A_PAGE_MB);
  });
});
