import { isValidName, NAME_RULE } from './frames/names.js';

/**
 * Topic filters (PROTOCOL §8): a subscription's topic whose levels (split on `/`) may be `+`
 * (exactly one level) or, as the LAST level only, `#` (any number of levels, none included).
 * Pure: the frame parser validates with it, the stores and the fan-out match with it.
 *
 *   filter   site-1/+/temp     site-1/#               #
 *   matches  site-1/boiler/temp site-1, site-1/a/b/c   every topic of the controller
 *   anchor   site-1            site-1                 (empty)
 */

/** The one-level wildcard. */
export const SINGLE_LEVEL = '+';
/** The multi-level wildcard (last level only). */
export const MULTI_LEVEL = '#';

/** The rules a filter must follow, as BAD_REQUEST messages name them (PROTOCOL §8). */
export const FILTER_RULES = {
  multiLast: '# must be the last level',
  multiWhole: '# must be a whole level',
  singleWhole: '+ must be a whole level',
} as const;

/** Whether a topic holds a wildcard at all: a filter rather than an exact topic. */
export function isFilter(topic: string): boolean {
  return topic.includes(SINGLE_LEVEL) || topic.includes(MULTI_LEVEL);
}

/**
 * Why a topic cannot be a subscription's filter, or undefined when it can: the name rules of
 * PROTOCOL §7 with `+` and `#` allowed, then §8's level rules. The first broken rule is named.
 */
export function filterProblem(filter: string): string | undefined {
  // Names' alphabet and length, with the wildcards replaced by a letter they may stand beside.
  if (!isValidName(filter.replace(/[+#]/g, 'x'))) return `topic must be ${NAME_RULE} (and + or # as whole levels)`;
  const levels = filter.split('/');
  for (const [index, level] of levels.entries()) {
    if (level.includes(MULTI_LEVEL)) {
      if (level !== MULTI_LEVEL) return FILTER_RULES.multiWhole;
      if (index !== levels.length - 1) return FILTER_RULES.multiLast;
    }
    if (level.includes(SINGLE_LEVEL) && level !== SINGLE_LEVEL) return FILTER_RULES.singleWhole;
  }
  return undefined;
}

/** Whether a filter (or an exact topic: then equality) matches a concrete topic (PROTOCOL §8). */
export function matches(filter: string, topic: string): boolean {
  if (!isFilter(filter)) return filter === topic;
  const want = filter.split('/');
  const have = topic.split('/');
  for (const [index, level] of want.entries()) {
    // `#` matches the rest, none included: `site-1/#` matches `site-1` itself.
    if (level === MULTI_LEVEL) return true;
    const actual = have[index];
    if (actual === undefined) return false;
    if (level !== SINGLE_LEVEL && level !== actual) return false;
  }
  return want.length === have.length;
}

/**
 * The literal levels before a filter's first wildcard, joined by `/`: where the filter index
 * keeps it (`site-1/+/temp` -> `site-1`, `#` -> ``). A topic the filter matches always starts
 * with them, so its anchors ({@link anchorsOf}) include this one.
 */
export function anchorOf(filter: string): string {
  const levels = filter.split('/');
  const first = levels.findIndex((level) => level === SINGLE_LEVEL || level === MULTI_LEVEL);
  return (first < 0 ? levels : levels.slice(0, first)).join('/');
}

/**
 * Every anchor whose filters may match the topic: each prefix of its levels, the empty one
 * first (`a/b` -> ``, `a`, `a/b`). A publish reads one index partition per anchor.
 */
export function anchorsOf(topic: string): string[] {
  const levels = topic.split('/');
  const anchors = new Set(['']);
  for (let count = 1; count <= levels.length; count += 1) anchors.add(levels.slice(0, count).join('/'));
  return [...anchors];
}
