/**
 * The little of CloudFormation's template format the local runtime reads. Properties stay
 * `unknown`: app-model.ts checks every value it uses, so a changed template fails loudly
 * there instead of being half-understood.
 */

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
}

/** A synthesized stack template (`cdk.out/Qosgate.template.json`). */
export interface CfnTemplate {
  Description?: string;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
  [section: string]: unknown;
}

/** `{ Ref: 'Id' }` → `'Id'`; anything else → undefined. */
export function refOf(value: unknown): string | undefined {
  if (isObject(value) && Object.keys(value).length === 1 && typeof value.Ref === 'string') return value.Ref;
  return undefined;
}

/** `{ 'Fn::GetAtt': ['Id', 'Arn'] }` or `{ 'Fn::GetAtt': 'Id.Arn' }` → `['Id', 'Arn']`. */
export function getAttOf(value: unknown): [logicalId: string, attribute: string] | undefined {
  if (!isObject(value) || Object.keys(value).length !== 1) return undefined;
  const att = value['Fn::GetAtt'];
  if (Array.isArray(att) && att.length === 2 && typeof att[0] === 'string' && typeof att[1] === 'string') return [att[0], att[1]];
  if (typeof att === 'string' && att.includes('.')) {
    const dot = att.indexOf('.');
    return [att.slice(0, dot), att.slice(dot + 1)];
  }
  return undefined;
}

/** The parts of a `{ 'Fn::Join': ['', parts] }` (only the empty delimiter CDK uses for URLs and ARNs). */
export function joinPartsOf(value: unknown): unknown[] | undefined {
  if (!isObject(value) || Object.keys(value).length !== 1) return undefined;
  const join = value['Fn::Join'];
  if (Array.isArray(join) && join.length === 2 && join[0] === '' && Array.isArray(join[1])) return join[1] as unknown[];
  return undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
