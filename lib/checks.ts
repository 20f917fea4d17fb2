import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Best-practice checks at synth: cdk-nag's AwsSolutions pack as a CDK policy-validation plugin
 * (cdk-nag v3). Any finding not acknowledged fails `npx cdk synth` (and so `cdk deploy`) with
 * a report naming the construct. Acknowledgments sit where each resource is made
 * (`Validations.of(x).acknowledge({ id, reason })`), each with its reason.
 *
 * Applied by bin/qosgate.ts, i.e. to every CLI synth and deploy, and by test/lib/nag.test.ts;
 * not by the local runtime's in-process synth, which only reads the template.
 */
export function applyBestPracticeChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
