import { describe, expect, it } from 'vitest';
import { DEFAULT_SWEEP } from '../../lambdas/config.js';
import { DEFAULT_POLICY } from '../../lambdas/core/policy.js';
import { HELP, readStartOptions, UsageError } from '../../local/start-options.js';

/** The checks `npm start` makes before anything starts (the exit code 2 path is in test/e2e/start.test.ts). */
function refusal(args: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    readStartOptions(args, env);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`accepted: ${args.join(' ')}`);
}

describe('readStartOptions', () => {
  it('defaults: 127.0.0.1:3001, the data folder under .qosgate, the default policy and sweep', () => {
    const options = readStartOptions([], {});
    expect(options).toMatchObject({ host: '127.0.0.1', port: 3001, auth: false, bundled: false, quiet: false, context: {} });
    expect(options.dataDir).toMatch(/\.qosgate\/data$/);
    expect(options.policy).toEqual({ active: DEFAULT_POLICY, set: [] });
    expect(options.sweep).toEqual({ active: DEFAULT_SWEEP, set: [] });
  });

  it('the active policy and sweep are the defaults with the command line on top, and it says which it set', () => {
    const options = readStartOptions(['--policy', '{"ackTimeoutMs":300}', '--sweep', '{"intervalMs":100}', '--auth', '--stage', 'local'], {});
    expect(options.policy).toEqual({ active: { ...DEFAULT_POLICY, ackTimeoutMs: 300 }, set: ['ackTimeoutMs'] });
    expect(options.sweep).toEqual({ active: { ...DEFAULT_SWEEP, intervalMs: 100 }, set: ['intervalMs'] });
    expect(options.context).toEqual({ 'qosgate:stageName': 'local', 'qosgate:policy': { ackTimeoutMs: 300 }, 'qosgate:sweep': { intervalMs: 100 }, 'qosgate:authRequired': true });
  });

  it('ports: 0 to 65535, from --port or QOSGATE_PORT', () => {
    expect(readStartOptions(['--port', '0'], {}).port).toBe(0);
    expect(readStartOptions([], { QOSGATE_PORT: '4100' }).port).toBe(4100);
    expect(refusal(['--port', '65536'])).toMatch(/--port must be a port number from 0 to 65535 .*"65536"/);
    expect(refusal(['--port=-1'])).toMatch(/--port must be a port number/);
    expect(refusal(['--port', '3e3'])).toMatch(/--port must be a port number/);
    expect(refusal([], { QOSGATE_PORT: 'http' })).toMatch(/QOSGATE_PORT must be a port number/);
  });

  it('refuses --in-memory with --data, and a bad host, duration, policy, sweep or stage, naming the option', () => {
    expect(refusal(['--in-memory', '--data', 'x'])).toMatch(/--in-memory and --data exclude each other/);
    expect(refusal(['--host', 'a b'])).toMatch(/--host must be an IP address or a host name/);
    expect(refusal(['--max-connection-ms', '2147483648'])).toMatch(/--max-connection-ms must be a whole number of milliseconds from 1 to 2147483647/);
    expect(refusal(['--idle-timeout-ms', '1.5'])).toMatch(/--idle-timeout-ms must be/);
    expect(refusal(['--policy', '[1]'])).toMatch(/--policy must be a JSON object/);
    expect(refusal(['--policy', '{"ackTimeoutMs":-5}'])).toMatch(/policy\.ackTimeoutMs must be/);
    expect(refusal(['--sweep', '{"interval":5}'])).toMatch(/unknown sweep setting "interval"/);
    expect(refusal(['--stage', 'no spaces'])).toMatch(/stage name must match/);
    expect(refusal(['--quiet', 'extra'])).toMatch(/--help lists the options/);
  });

  it('--bundled runs the deploy bundles on Node 22; the help says so and that the source is the default', () => {
    expect(readStartOptions(['--bundled'], {})).toMatchObject({ bundled: true, context: {} });
    expect(HELP).toMatch(/--bundled +run the deploy bundles \(cdk synth's asset folders, index\.handler\) on Lambda's\n\s+Node 22/);
    expect(HELP).toMatch(/default: the TypeScript source in\n\s+this process/);
    expect(refusal(['--bundled=yes'])).toMatch(/--bundled.*--help lists the options/);
  });

  it('--in-memory has no data folder', () => {
    expect(readStartOptions(['--in-memory'], {}).dataDir).toBeUndefined();
  });
});
