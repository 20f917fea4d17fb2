#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth` runs this (see cdk.json). Environment-agnostic on purpose, so
 * it synthesizes offline with no AWS account; the target account and region come at deploy time.
 *
 * Configuration comes from context (lib/config.ts, CONTEXT_KEYS; docs/deploy.md), e.g.
 * `npx cdk synth -c qosgate:stageName=prod -c 'qosgate:policy={"attemptLimit":5}'`.
 * The app itself is built by lib/app.ts, which the local runtime (`npm start`) uses too;
 * only here are cdk-nag's AwsSolutions checks added, so every CLI synth and deploy runs them.
 */
import { createApp } from '../lib/app.js';
import { applyBestPracticeChecks } from '../lib/checks.js';

const { app } = createApp();
applyBestPracticeChecks(app);
