/**
 * IAM's decision for one identity-based policy set, one action and one resource: the part of
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html that
 * a single account's roles need.
 *
 *   an explicit Deny that matches            -> denied (explicitDeny), whatever allows it
 *   else an Allow that matches               -> allowed
 *   else                                     -> denied (noAllow): the default deny
 *
 * A statement matches when its Action (or NotAction) and its Resource (or NotResource) match.
 * Actions compare case-insensitively, resources case-sensitively; `*` stands for any run of
 * characters and `?` for one. An ARN pattern matches segment by segment (`arn:partition:service:
 * region:account:resource`), so a `*` in the region does not reach into the resource part.
 *
 * Not evaluated (each limit errs on the side of refusing): a statement with a `Condition`, or with
 * a policy variable (`${aws:username}`) in a resource, never allows, and always denies when its
 * action and resource match. Resource-based policies, permissions boundaries, session policies and
 * SCPs are not part of this evaluator.
 *
 * Pure and self-contained (no imports): the SDK middleware that uses it runs in plain Node workers.
 */

/** One statement as IAM reads it, intrinsics already resolved (function-policies.ts). */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  /** Kept only to be treated conservatively: conditions are not evaluated. */
  Condition?: Record<string, unknown>;
}

export type Decision = { allowed: true; statement: PolicyStatement } | { allowed: false; reason: 'explicitDeny' | 'noAllow'; statement?: PolicyStatement };

/** Whether `statements` let `action` (`dynamodb:PutItem`) be done on `resource` (an ARN, or `*`). */
export function evaluate(statements: readonly PolicyStatement[], action: string, resource: string): Decision {
  let allowedBy: PolicyStatement | undefined;
  for (const statement of statements) {
    if (!actionMatches(statement, action) || !resourceMatches(statement, resource)) continue;
    if (statement.Effect === 'Deny') return { allowed: false, reason: 'explicitDeny', statement };
    // Conservative: an Allow whose condition or policy variable cannot be checked grants nothing.
    if (statement.Effect === 'Allow' && !isConditional(statement)) allowedBy ??= statement;
  }
  return allowedBy ? { allowed: true, statement: allowedBy } : { allowed: false, reason: 'noAllow' };
}

/** IAM's wildcard match: `*` any run of characters (none too), `?` exactly one; everything else literal. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  // Iterative glob with backtracking to the last `*`: linear-ish, no regular expression built from input.
  let pi = 0;
  let vi = 0;
  let star = -1;
  let starV = 0;
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === v[vi])) {
      pi += 1;
      vi += 1;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi;
      starV = vi;
      pi += 1;
    } else if (star !== -1) {
      pi = star + 1;
      starV += 1;
      vi = starV;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi += 1;
  return pi === p.length;
}

/** Whether an ARN (or `*`) pattern of a policy names `resource`. */
export function resourcePatternMatches(pattern: string, resource: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.startsWith('arn:') || !resource.startsWith('arn:')) return wildcardMatch(pattern, resource);
  const patternParts = arnParts(pattern);
  const resourceParts = arnParts(resource);
  // An ARN without its six segments names nothing (IAM refuses such a policy outright).
  if (!patternParts || !resourceParts) return false;
  return patternParts.every((part, i) => wildcardMatch(part, resourceParts[i] as string));
}

function actionMatches(statement: PolicyStatement, action: string): boolean {
  if (statement.Action) return statement.Action.some((pattern) => wildcardMatch(pattern, action, true));
  if (statement.NotAction) return !statement.NotAction.some((pattern) => wildcardMatch(pattern, action, true));
  return false;
}

function resourceMatches(statement: PolicyStatement, resource: string): boolean {
  if (statement.Resource) return statement.Resource.some((pattern) => matchesOrUnknowable(statement, pattern, resource));
  if (statement.NotResource) return !statement.NotResource.some((pattern) => matchesOrUnknowable(statement, pattern, resource));
  return false;
}

/**
 * A policy variable's value is not known here: for a Deny the pattern is taken to match (so the
 * Deny applies), for an Allow the statement is conditional anyway and grants nothing.
 */
function matchesOrUnknowable(statement: PolicyStatement, pattern: string, resource: string): boolean {
  if (pattern.includes('${')) return statement.Effect === 'Deny';
  return resourcePatternMatches(pattern, resource);
}

function isConditional(statement: PolicyStatement): boolean {
  if (statement.Condition !== undefined && Object.keys(statement.Condition).length > 0) return true;
  return [...(statement.Resource ?? []), ...(statement.NotResource ?? [])].some((pattern) => pattern.includes('${'));
}

/** `arn:aws:sqs:us-east-1:000000000000:name` -> its six segments (the last one keeps its colons). */
function arnParts(text: string): string[] | undefined {
  if (!text.startsWith('arn:')) return undefined;
  const parts: string[] = [];
  let rest = text;
  for (let i = 0; i < 5; i += 1) {
    const colon = rest.indexOf(':');
    if (colon === -1) return undefined;
    parts.push(rest.slice(0, colon));
    rest = rest.slice(colon + 1);
  }
  parts.push(rest);
  return parts;
}
