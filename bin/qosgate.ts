#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth` runs this (see cdk.json). Environment-agnostic on purpose, so
 * it synthesizes offline with no AWS account; the target account and region come at deploy time.
 *
 * Configuration comes from context (lib/config.ts, CONTEXT_KEYS; docs/deploy.md), e.g.
 * `npx cdk synth -c qosgate:stageName=prod -c 'qosgate:policy={"attemptLimit":5}'`.
 * The app itself is built by lib/app.ts, which the local runtime (`npm start`) uses too;
 * only here are cdk-nag's AwsSolutions checks added, so every CLI synth and deploy runs them.
 * The stack is named after the stage (`Qosgate-dev`, `Qosgate-prod`), so stages never collide.
 */
import { createApp } from '../lib/app.js';
import { applyBestPracticeChecks } from '../lib/checks.js';
import { ConfigError } from '../lib/config.js';

try {
  const { app } = createApp();
  applyBestPracticeChecks(app);
} catch (error) {
  // A bad setting is the user's to fix: its message says what and how, a stack trace would bury it.
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
