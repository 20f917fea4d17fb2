#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth` runs this (see cdk.json). Environment-agnostic on purpose, so
 * it synthesizes offline with no AWS account; the target account and region come at deploy time.
 *
 * Configuration comes from context (lib/config.ts, CONTEXT_KEYS), e.g.
 * `npx cdk synth -c qosgate:stageName=prod -c 'qosgate:policy={"attemptLimit":5}'`.
 */
import { App } from 'aws-cdk-lib';
import { configFromContext } from '../lib/config.js';
import { QosgateStack } from '../lib/qosgate-stack.js';

const app = new App();
new QosgateStack(app, 'Qosgate', {
  description: 'qosgate: WebSocket messaging with MQTT-style QoS 0/1/2',
  config: configFromContext(app.node),
});
