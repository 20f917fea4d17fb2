/**
 * Lambda's event filtering (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html)
 * as far as the template's mappings use it: a pattern is a JSON object whose leaves are lists of
 * allowed values, matched against the stream record (`{"eventName":["INSERT"]}`). A leaf may also
 * hold `{"prefix": "..."}`, `{"exists": bool}` or `{"anything-but": [...]}`. A record is passed
 * when it matches any one pattern; a mapping without patterns passes everything.
 */
export type FilterPattern = Record<string, unknown>;

/** A pattern this module cannot evaluate faithfully: the local runtime refuses to start with it. */
export class FilterPatternError extends Error {
  override readonly name = 'FilterPatternError';
}

export function parseFilterPattern(text: string): FilterPattern {
  let pattern: unknown;
  try {
    pattern = JSON.parse(text);
  } catch {
    throw new FilterPatternError(`filter pattern is not JSON: ${text}`);
  }
  if (!isObject(pattern)) throw new FilterPatternError(`filter pattern must be a JSON object: ${text}`);
  check(pattern, text);
  return pattern;
}

export function matchesAny(patterns: FilterPattern[], record: unknown): boolean {
  return patterns.length === 0 || patterns.some((pattern) => matches(pattern, record));
}

function matches(pattern: FilterPattern, value: unknown): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = isObject(value) ? value[key] : undefined;
    if (Array.isArray(expected)) return expected.some((rule) => leafMatches(rule, actual));
    return matches(expected as FilterPattern, actual);
  });
}

function leafMatches(rule: unknown, actual: unknown): boolean {
  if (!isObject(rule)) return actual === rule || (Array.isArray(actual) && actual.includes(rule));
  if ('exists' in rule) return (actual !== undefined) === rule.exists;
  if ('prefix' in rule) return typeof actual === 'string' && actual.startsWith(String(rule.prefix));
  const excluded = rule['anything-but'];
  return actual !== undefined && !(Array.isArray(excluded) ? excluded : [excluded]).includes(actual);
}

function check(pattern: FilterPattern, text: string): void {
  for (const value of Object.values(pattern)) {
    if (Array.isArray(value)) {
      for (const rule of value) {
        if (isObject(rule) && !(Object.keys(rule).length === 1 && ['exists', 'prefix', 'anything-but'].includes(Object.keys(rule)[0] as string))) {
          throw new FilterPatternError(`filter pattern ${text}: the rule ${JSON.stringify(rule)} is not one the local runtime evaluates (exists, prefix, anything-but)`);
        }
      }
    } else if (isObject(value)) check(value, text);
    else throw new FilterPatternError(`filter pattern ${text}: ${JSON.stringify(value)} must be a list of values or a nested pattern`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
