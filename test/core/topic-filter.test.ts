import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anchorOf, anchorsOf, FILTER_RULES, filterProblem, isFilter, matches } from '../../lambdas/core/topic-filter.js';

/** The oracle: a filter as a regular expression, built level by level (PROTOCOL §8). */
function oracle(filter: string): RegExp {
  const levels = filter.split('/');
  const escape = (level: string) => level.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const parts = levels.map((level) => (level === '+' ? '[^/]*' : escape(level)));
  if (levels.at(-1) === '#') {
    const head = parts.slice(0, -1);
    return new RegExp(head.length === 0 ? '^.*$' : `^${head.join('/')}(?:/.*)?$`);
  }
  return new RegExp(`^${parts.join('/')}$`);
}

const level = fc.constantFrom('a', 'b', 'site-1', 'temp', '');
const topicArb = fc.array(level, { minLength: 1, maxLength: 5 }).map((levels) => levels.join('/')).filter((t) => t.length > 0);
const filterArb = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 0, maxLength: 4 }), fc.boolean())
  .map(([levels, multi]) => (multi ? [...levels, '#'] : levels).join('/'))
  .filter((f) => f.length > 0);

describe('topic filters (PROTOCOL §8)', () => {
  it('matches + to exactly one level and # to any number of levels, none included', () => {
    expect(matches('site-1/+/temp', 'site-1/boiler/temp')).toBe(true);
    expect(matches('site-1/+/temp', 'site-1/boiler/x/temp')).toBe(false);
    expect(matches('site-1/+/temp', 'site-1/temp')).toBe(false);
    expect(matches('site-1/#', 'site-1')).toBe(true);
    expect(matches('site-1/#', 'site-1/a/b/c')).toBe(true);
    expect(matches('site-1/#', 'site-2/a')).toBe(false);
    expect(matches('#', 'anything/at/all')).toBe(true);
    expect(matches('exact/topic', 'exact/topic')).toBe(true);
    expect(matches('exact/topic', 'exact/other')).toBe(false);
  });

  it('agrees with a regular-expression oracle on generated filters and topics', () => {
    fc.assert(
      fc.property(filterArb, topicArb, (filter, topic) => {
        expect(matches(filter, topic)).toBe(oracle(filter).test(topic));
      }),
      { numRuns: 2000 },
    );
  });

  it('names the rule a bad filter breaks', () => {
    expect(filterProblem('a/#/b')).toBe(FILTER_RULES.multiLast);
    expect(filterProblem('a+/b')).toBe(FILTER_RULES.singleWhole);
    expect(filterProblem('#x')).toBe(FILTER_RULES.multiWhole);
    expect(filterProblem('a/b#')).toBe(FILTER_RULES.multiWhole);
    expect(filterProblem('a b/+')).toMatch(/^topic must be 1-128 characters/);
    expect(filterProblem('+'.repeat(1) + '/x'.repeat(64))).toMatch(/^topic must be 1-128/);
  });

  it('accepts whole-level wildcards and plain names', () => {
    for (const good of ['site-1/+/temp', 'site-1/#', '#', '+', '+/+/#', 'plain/topic']) expect(filterProblem(good)).toBeUndefined();
  });

  it('tells filters from exact topics', () => {
    expect(isFilter('a/+/b')).toBe(true);
    expect(isFilter('a/#')).toBe(true);
    expect(isFilter('a/b')).toBe(false);
  });

  it('anchors a filter at its literal levels before the first wildcard', () => {
    expect(anchorOf('site-1/+/temp')).toBe('site-1');
    expect(anchorOf('site-1/boiler/#')).toBe('site-1/boiler');
    expect(anchorOf('#')).toBe('');
    expect(anchorOf('+/temp')).toBe('');
  });

  it('lists every prefix of a topic as its anchors, the empty one first', () => {
    expect(anchorsOf('site-1/boiler/temp')).toEqual(['', 'site-1', 'site-1/boiler', 'site-1/boiler/temp']);
  });

  it('puts the anchor of every filter that matches a topic among the topic’s anchors (the index finds it)', () => {
    fc.assert(
      fc.property(filterArb, topicArb, (filter, topic) => {
        if (isFilter(filter) && matches(filter, topic)) expect(anchorsOf(topic)).toContain(anchorOf(filter));
      }),
      { numRuns: 2000 },
    );
  });
});
