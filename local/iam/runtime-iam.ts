import type { SdkClientHook, WiringOverrides } from '../../lambdas/entry/wiring.js';
import { localTableName } from '../dynamodb/create-tables-from-template.js';
import type { AppModel } from '../template/app-model.js';
import type { CfnTemplate } from '../template/cfn-template.js';
import { LOCAL_API_ID, readFunctionPolicies } from './function-policies.js';
import { evaluate } from './evaluate.js';
import { fileURLToPath } from 'node:url';
import { enforceIam, type FunctionPolicy } from './sdk-iam-middleware.js';

/**
 * The module whose `hookClient(client, policy)` the bundled mode's workers call on every SDK
 * client they create (local/lambda/bootstrap.ts), with the function's policy: the same
 * middleware as the source mode's, so both modes refuse alike.
 */
export const IAM_HOOK_MODULE = fileURLToPath(new URL('./sdk-iam-middleware.ts', import.meta.url));

/**
 * The local runtime's side of IAM enforcement: every function's policy, read once at start
 * (before anything is started, so a policy that cannot be read stops `npm start` at once), and
 * for each function the {@link SdkClientHook} that makes every SDK client its wiring creates
 * enforce that policy.
 */
export interface LocalIam {
  /** By route-table id, as JSON (what a worker process would be handed). */
  policies: Record<string, FunctionPolicy>;
  /** The wiring overrides of one function: its hook, after the host's own hook if it has one. */
  overridesFor(functionId: string, overrides: WiringOverrides): WiringOverrides;
}

/**
 * @param region the region the functions' clients sign for (AWS_REGION): their ARNs' region.
 * @throws FunctionPolicyError for a policy the runtime cannot read faithfully, and an Error for
 *   host overrides that would share one client between functions (its policy would be no one's).
 */
export function localIam(template: CfnTemplate, model: AppModel, region: string, overrides: WiringOverrides = {}): LocalIam {
  for (const shared of ['dynamodb', 'sqs'] as const) {
    if (overrides[shared] !== undefined) {
      throw new Error(
        `qosgate: overrides.${shared} is one client for every function, so the runtime cannot enforce each function's own IAM policy on it. ` +
          'Pass overrides.sdkClient (called on each client a function creates) to instrument the clients, or iam: false.',
      );
    }
  }
  // The names ensureTables gives the tables (its default prefix) and the queues' (their logical ids).
  const tableNames = Object.fromEntries(model.tables.map((table) => [table.logicalId, localTableName(table, `qosgate-${model.stageName}`)]));
  const queueNames = Object.fromEntries(model.queues.map((queue) => [queue.logicalId, queue.logicalId]));
  const deliveryStreamNames = Object.fromEntries(model.deliveryStreams.map((stream) => [stream.logicalId, stream.logicalId]));
  const policies = readFunctionPolicies(template, model, { region, tableNames, queueNames, deliveryStreamNames, apiId: LOCAL_API_ID });
  checkEventSourceMappings(model, policies);
  checkStreamMappings(model, policies, tableNames);
  return {
    policies,
    overridesFor(functionId, hostOverrides) {
      const policy = policies[functionId];
      if (!policy) throw new Error(`qosgate: no IAM policy was read for the function ${functionId}`);
      const inner = hostOverrides.sdkClient;
      const sdkClient: SdkClientHook = (client) => enforceIam(inner ? inner(client) : client, policy);
      return { ...hostOverrides, sdkClient };
    },
  };
}

/**
 * What Lambda polls an SQS queue with (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html):
 * the function's own role. Lambda refuses to create a mapping whose role lacks these, so a deploy
 * fails: the local runtime, whose event source mappings poll the engine directly, refuses to start.
 */
const SQS_POLLING_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];

function checkEventSourceMappings(model: AppModel, policies: Record<string, FunctionPolicy>): void {
  for (const mapping of model.eventSourceMappings) {
    const policy = policies[mapping.functionId];
    if (!policy) continue;
    const queue = `arn:aws:sqs:${policy.region}:${policy.accountId}:${mapping.queueLogicalId}`;
    for (const action of SQS_POLLING_ACTIONS) {
      if (!evaluate(policy.statements, action, queue).allowed) {
        const operation = action.slice('sqs:'.length);
        throw new Error(
          `qosgate: the event source mapping of ${mapping.queueLogicalId} to ${mapping.functionId} cannot be created: ` +
            `InvalidParameterValueException: The provided execution role does not have permissions to call ${operation} on SQS (${action} on ${queue})`,
        );
      }
    }
  }
}

/**
 * What Lambda reads a DynamoDB stream with, and sends a failed batch's description to an SQS
 * on-failure destination with (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html):
 * the function's own role. As for SQS, a role without them fails the deploy, so the start.
 */
const STREAM_POLLING_ACTIONS = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];

function checkStreamMappings(model: AppModel, policies: Record<string, FunctionPolicy>, tableNames: Record<string, string>): void {
  for (const mapping of model.streamEventSourceMappings) {
    const policy = policies[mapping.functionId];
    if (!policy) continue;
    const stream = `arn:aws:dynamodb:${policy.region}:${policy.accountId}:table/${tableNames[mapping.tableLogicalId]}/stream/local`;
    const needed = STREAM_POLLING_ACTIONS.map((action) => ({ action, resource: stream }));
    if (mapping.onFailureQueueLogicalId) needed.push({ action: 'sqs:SendMessage', resource: `arn:aws:sqs:${policy.region}:${policy.accountId}:${mapping.onFailureQueueLogicalId}` });
    for (const { action, resource } of needed) {
      if (!evaluate(policy.statements, action, resource).allowed) {
        throw new Error(
          `qosgate: the event source mapping of ${mapping.tableLogicalId}'s stream to ${mapping.functionId} cannot be created: ` +
            `InvalidParameterValueException: The provided execution role does not have permissions to call ${action.split(':')[1]} (${action} on ${resource})`,
        );
      }
    }
  }
}
