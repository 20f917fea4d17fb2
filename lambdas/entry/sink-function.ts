import { FirehoseClient } from '@aws-sdk/client-firehose';
import { sinkRecordOfImage } from '../adapters/dynamodb/history-stream.js';
import { FirehoseSinkWriter } from '../adapters/firehose/firehose-sink-writer.js';
import { PowertoolsLogger } from '../adapters/powertools/powertools-logger.js';
import { requireEnv, SINK_ENV } from '../config.js';
import { createSinkHandler } from '../handlers/sink.js';
import type { Env, LambdaHandler } from './lambda-handler.js';
import { asIs } from './sdk-client-hook.js';
import type { WiringOverrides } from './wiring.js';

/**
 * The ingestion sink's function (the history stream's event source mapping invokes it): a
 * Firehose client from the SDK's chain (locally AWS_ENDPOINT_URL_FIREHOSE names the runtime's
 * Firehose stand-in, which writes the files), on the delivery stream its environment names.
 */
export function createSinkFunction(env: Env, overrides: WiringOverrides = {}): LambdaHandler {
  const hook = overrides.sdkClient ?? asIs;
  const writer = new FirehoseSinkWriter(hook(new FirehoseClient({})), requireEnv(env, SINK_ENV.deliveryStream));
  return createSinkHandler({ writer, recordOf: sinkRecordOfImage, log: overrides.log ?? new PowertoolsLogger() }) as LambdaHandler;
}
