import { describe, expect, it } from 'vitest';
import { evaluate, resourcePatternMatches, wildcardMatch, type PolicyStatement } from '../../../local/iam/evaluate.js';

const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/qosgate-dev-Pending';
const allow = (Action: string[], Resource: string[], extra: Partial<PolicyStatement> = {}): PolicyStatement => ({ Effect: 'Allow', Action, Resource, ...extra });
const deny = (Action: string[], Resource: string[], extra: Partial<PolicyStatement> = {}): PolicyStatement => ({ Effect: 'Deny', Action, Resource, ...extra });

describe('evaluate', () => {
  it('denies by default: no statement, or none that names the action and the resource', () => {
    expect(evaluate([], 'dynamodb:PutItem', TABLE)).toEqual({ allowed: false, reason: 'noAllow' });
    expect(evaluate([allow(['dynamodb:GetItem'], [TABLE])], 'dynamodb:PutItem', TABLE).allowed).toBe(false);
    expect(evaluate([allow(['dynamodb:PutItem'], [`${TABLE}-other`])], 'dynamodb:PutItem', TABLE).allowed).toBe(false);
  });

  it('allows what an Allow names, actions case-insensitively', () => {
    expect(evaluate([allow(['dynamodb:PutItem'], [TABLE])], 'dynamodb:PutItem', TABLE).allowed).toBe(true);
    expect(evaluate([allow(['DynamoDB:putitem'], [TABLE])], 'dynamodb:PutItem', TABLE).allowed).toBe(true);
  });

  it('compares resources case-sensitively', () => {
    expect(evaluate([allow(['dynamodb:PutItem'], [TABLE.toLowerCase()])], 'dynamodb:PutItem', TABLE).allowed).toBe(false);
  });

  it('lets an explicit Deny win over any Allow, in any order', () => {
    const statements = [allow(['dynamodb:*'], ['*']), deny(['dynamodb:DeleteTable'], [TABLE])];
    expect(evaluate(statements, 'dynamodb:DeleteTable', TABLE)).toMatchObject({ allowed: false, reason: 'explicitDeny' });
    expect(evaluate([...statements].reverse(), 'dynamodb:DeleteTable', TABLE)).toMatchObject({ allowed: false, reason: 'explicitDeny' });
    expect(evaluate(statements, 'dynamodb:PutItem', TABLE).allowed).toBe(true);
  });

  it('reads NotAction and NotResource as "everything but"', () => {
    expect(evaluate([{ Effect: 'Allow', NotAction: ['dynamodb:Delete*'], Resource: ['*'] }], 'dynamodb:PutItem', TABLE).allowed).toBe(true);
    expect(evaluate([{ Effect: 'Allow', NotAction: ['dynamodb:Delete*'], Resource: ['*'] }], 'dynamodb:DeleteItem', TABLE).allowed).toBe(false);
    expect(evaluate([{ Effect: 'Allow', Action: ['dynamodb:PutItem'], NotResource: [TABLE] }], 'dynamodb:PutItem', TABLE).allowed).toBe(false);
    expect(evaluate([{ Effect: 'Allow', Action: ['dynamodb:PutItem'], NotResource: [TABLE] }], 'dynamodb:PutItem', `${TABLE}X`).allowed).toBe(true);
    const everythingButReads = [allow(['*'], ['*']), { Effect: 'Deny', NotAction: ['dynamodb:Get*'], Resource: [TABLE] } as PolicyStatement];
    expect(evaluate(everythingButReads, 'dynamodb:GetItem', TABLE).allowed).toBe(true);
    expect(evaluate(everythingButReads, 'dynamodb:PutItem', TABLE)).toMatchObject({ allowed: false, reason: 'explicitDeny' });
  });

  it('treats a Condition conservatively: an Allow with one grants nothing, a Deny with one always applies', () => {
    const condition = { Bool: { 'aws:SecureTransport': 'true' } };
    expect(evaluate([allow(['dynamodb:PutItem'], [TABLE], { Condition: condition })], 'dynamodb:PutItem', TABLE)).toEqual({ allowed: false, reason: 'noAllow' });
    expect(evaluate([allow(['dynamodb:PutItem'], [TABLE]), deny(['dynamodb:PutItem'], [TABLE], { Condition: condition })], 'dynamodb:PutItem', TABLE)).toMatchObject({
      allowed: false,
      reason: 'explicitDeny',
    });
  });

  it('treats a policy variable in a resource as it treats a condition', () => {
    const variable = 'arn:aws:dynamodb:us-east-1:000000000000:table/${aws:username}';
    expect(evaluate([allow(['dynamodb:PutItem'], [variable])], 'dynamodb:PutItem', TABLE).allowed).toBe(false);
    expect(evaluate([allow(['dynamodb:PutItem'], [TABLE]), deny(['dynamodb:PutItem'], [variable])], 'dynamodb:PutItem', TABLE).allowed).toBe(false);
  });

  it('takes index ARNs apart from their table: /index/* covers the indexes, not the table', () => {
    const indexes = allow(['dynamodb:Query'], [`${TABLE}/index/*`]);
    expect(evaluate([indexes], 'dynamodb:Query', `${TABLE}/index/byDue`).allowed).toBe(true);
    expect(evaluate([indexes], 'dynamodb:Query', TABLE).allowed).toBe(false);
    expect(evaluate([allow(['dynamodb:Query'], [TABLE])], 'dynamodb:Query', `${TABLE}/index/byDue`).allowed).toBe(false);
  });
});

describe('wildcards', () => {
  it('* is any run of characters (none too), ? exactly one', () => {
    expect(wildcardMatch('dynamodb:*', 'dynamodb:PutItem')).toBe(true);
    expect(wildcardMatch('dynamodb:*Item', 'dynamodb:PutItem')).toBe(true);
    expect(wildcardMatch('dynamodb:Put*', 'dynamodb:Put')).toBe(true);
    expect(wildcardMatch('dynamodb:?etItem', 'dynamodb:GetItem')).toBe(true);
    expect(wildcardMatch('dynamodb:?etItem', 'dynamodb:etItem')).toBe(false);
    expect(wildcardMatch('a*b*c', 'aXXbYYbZc')).toBe(true);
    expect(wildcardMatch('a*b*c', 'aXXbYY')).toBe(false);
    expect(wildcardMatch('dynamodb:putitem', 'dynamodb:PutItem')).toBe(false);
    expect(wildcardMatch('dynamodb:putitem', 'dynamodb:PutItem', true)).toBe(true);
  });

  it('matches ARNs segment by segment, a * in the resource part reaching across / and :', () => {
    expect(resourcePatternMatches('*', TABLE)).toBe(true);
    expect(resourcePatternMatches('arn:aws:dynamodb:*:*:table/qosgate-dev-*', TABLE)).toBe(true);
    expect(resourcePatternMatches('arn:aws:dynamodb:*:table/qosgate-dev-Pending', TABLE)).toBe(false);
    expect(resourcePatternMatches('arn:aws:execute-api:us-east-1:000000000000:local/dev/*/@connections/*', 'arn:aws:execute-api:us-east-1:000000000000:local/dev/POST/@connections/a:b=')).toBe(true);
    expect(resourcePatternMatches('arn:aws:execute-api:us-east-1:000000000000:local/dev/*/@connections/*', 'arn:aws:execute-api:us-east-1:000000000000:local/prod/POST/@connections/a')).toBe(false);
  });
});
