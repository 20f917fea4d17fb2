/**
 * Client-side topic filter matching (PROTOCOL §8), so a handler registered for a filter
 * (`site-1/+/temp`) runs for the concrete topics the server delivers under it. The client
 * imports nothing from the server at run time, so this mirrors lambdas/core/topic-filter.ts
 * `matches`; test/client/topic-filter.test.ts checks the two agree.
 */

/** Whether the topic holds `+` or `#`: a filter rather than an exact topic. */
export function isTopicFilter(topic: string): boolean {
  return topic.includes('+') || topic.includes('#');
}

/** Whether a filter (or an exact topic: then equality) matches a concrete topic. */
export function topicMatches(filter: string, topic: string): boolean {
  if (!isTopicFilter(filter)) return filter === topic;
  const want = filter.split('/');
  const have = topic.split('/');
  for (const [index, level] of want.entries()) {
    if (level === '#') return true;
    const actual = have[index];
    if (actual === undefined) return false;
    if (level !== '+' && level !== actual) return false;
  }
  return want.length === have.length;
}
