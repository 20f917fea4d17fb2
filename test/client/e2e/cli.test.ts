import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime.js';
import { CliProcess } from '../support/cli-process.js';
import { waitUntil } from '../support/controlled-ws.js';

/** The `qosgate` CLI as a person uses it: child processes against the service on this machine. */
const FAST = {
  'qosgate:policy': { ackTimeoutMs: 300, backoffCapMs: 600 },
  'qosgate:sweep': { intervalMs: 100 },
};
const MESSAGE_LINE = /^monitor\/temp (\S+) qos=1 id=(\S+) dup=(true|false)$/;

describe('the qosgate CLI against the local runtime', { timeout: 60_000 }, () => {
  let runtime: LocalRuntime;
  const processes: CliProcess[] = [];
  const run = (...args: string[]): CliProcess => {
    const child = new CliProcess(args);
    processes.push(child);
    return child;
  };

  beforeAll(async () => {
    runtime = await startLocalRuntime({ port: 0, inMemory: true, context: FAST });
  }, 120_000);
  afterEach(async () => {
    for (const child of processes.splice(0)) await child.stop();
  });
  afterAll(async () => {
    await runtime?.stop();
  }, 60_000);

  it('qosgate sensor and qosgate monitor talk to each other: every reading arrives, acked, with its id', async () => {
    const monitor = run('monitor', '--url', runtime.url, '--qos', '1');
    await monitor.waitForOutput(/connected/, 'the monitor to connect');
    const sensor = run('sensor', '--url', runtime.url, '--every', '100ms', '--count', '5');
    expect(await sensor.exited).toBe(0);
    const sent = sensor.lines().map((l) => /^sent sensor\/temp (\S+) qos=0$/.exec(l)?.[1]);
    expect(sent).toHaveLength(5);
    expect(sent.every((v) => v !== undefined && Number.isFinite(Number(v)))).toBe(true);

    const firstSeenLines = () =>
      monitor
        .lines()
        .map((l) => MESSAGE_LINE.exec(l))
        .filter((m): m is RegExpExecArray => m !== null && m[3] === 'false');
    await waitUntil(() => firstSeenLines().length >= 5, `five readings at the monitor; got ${monitor.stdout}`);
    const firstSeen = firstSeenLines();
    // Every reading, each once. QoS 0 readings get no answer to wait for, and the sensor's frames
    // are handled concurrently (as API Gateway invokes them): they may arrive in any order.
    expect(firstSeen.map((m) => m[1]).sort()).toEqual([...sent].sort());
    expect(new Set(firstSeen.map((m) => m[2])).size).toBe(5); // each with its own id
    expect(await monitor.stop()).toBe(0);
  });

  it('qosgate monitor --no-ack shows the server resending (dup=true), as the seed\'s QoS monitor does', async () => {
    const monitor = run('monitor', '--url', runtime.url, '--qos', '1', '--no-ack');
    await monitor.waitForOutput(/connected .*not acking/, 'the monitor to connect');
    const sensor = run('sensor', '--url', runtime.url, '--count', '1', '--start', '30');
    expect(await sensor.exited).toBe(0);
    await monitor.waitForOutput(/dup=true/, 'a resend');
    const lines = monitor.lines().map((l) => MESSAGE_LINE.exec(l)).filter((m) => m !== null);
    expect(new Set(lines.map((m) => m[2])).size).toBe(1); // the same message again
    expect(lines[0]![3]).toBe('false');
  });

  it('qosgate raw takes typed frames from a pipe and prints every frame with < and >', async () => {
    const raw = run('raw', '--url', runtime.url, '--controllers', 'monitor', '--qos', '1', '--linger', '500ms');
    await raw.waitForOutput(/connected/, 'raw to connect');
    raw.write('x|ping|\n');
    raw.write('{"action":"subscribe","controller":"monitor","topic":"doors","qos":1}\n');
    // The publish waits for the suback: a connection's frames are handled concurrently (as API
    // Gateway invokes them), so one sent at once could be handed on before the subscription is stored.
    await raw.waitForOutput(/< \{"type":"suback"/, 'the suback');
    raw.write('monitor|doors|"open"\n');
    await raw.waitForOutput(/< \{"type":"message".*"doors"/, 'the message on its own subscription');
    const id = /"id":"([^"]+)"/.exec(raw.stdout.split('\n').find((l) => l.includes('"type":"message"')) ?? '')?.[1];
    raw.write(`monitor|msgack|${id}\n`);
    raw.endInput();
    expect(await raw.exited).toBe(0);
    expect(raw.lines()).toEqual(
      expect.arrayContaining([
        '> x|ping|',
        '< {"type":"pong"}',
        '< {"type":"suback","controller":"monitor","topic":"doors","qos":1}',
        '> monitor|doors|"open"',
        `> monitor|msgack|${id}`,
      ]),
    );
  });

  it('qosgate publish and qosgate subscribe for one-off use; a refused publish fails with the server\'s error', async () => {
    const subscriber = run('subscribe', '--url', runtime.url, '--topic', 'billing', '--qos', '2', '--count', '1');
    await subscriber.waitForOutput(/subscribed monitor\/billing qos=2/, 'the subscription');
    const publisher = run('publish', '--url', runtime.url, '--controller', 'monitor', '--topic', 'billing', '--qos', '2', '{"cents":995}');
    expect(await publisher.exited).toBe(0);
    expect(publisher.stdout).toBe('published monitor/billing qos=2 (complete)\n');
    expect(await subscriber.exited).toBe(0);
    expect(subscriber.lines()).toEqual([expect.stringMatching(/^monitor\/billing \{"cents":995\} qos=2 id=\S+ dup=false$/)]);

    const refused = run('publish', '--url', runtime.url, '--qos', '1', 'hot');
    expect(await refused.exited).toBe(1);
    expect(refused.stderr).toContain('temp must be a number');
  });

  it('a refused connection says why, in the library commands and in raw, and exits 1', async () => {
    const monitor = run('monitor', '--url', runtime.url, '--controller', 'nope');
    expect(await monitor.exited).toBe(1);
    expect(monitor.stderr).toBe(`qosgate monitor: could not connect to ${runtime.url}: refused (400): unknown controller: nope\n`);
    const raw = run('raw', '--url', runtime.url, '--controllers', 'nope');
    expect(await raw.exited).toBe(1);
    expect(raw.stderr).toContain('refused (400): unknown controller: nope');
    expect(raw.stderr).not.toContain('Unexpected server response');
  });

  it('a publish too large for one frame fails at every QoS with an error naming the limit; nothing is printed as published', async () => {
    for (const qos of ['0', '1']) {
      const publisher = run('publish', '--url', runtime.url, '--qos', qos, '--controller', 'monitor', '--topic', 'big', 'x'.repeat(40_000));
      expect(await publisher.exited).toBe(1);
      expect(publisher.stdout).toBe('');
      expect(publisher.stderr).toMatch(/^qosgate publish: frame too large: \d+ bytes, and API Gateway closes the connection \(1009\) on a frame over 32768 bytes/);
    }
  });

  it('the token is never printed whole: the connected line shows token=…', async () => {
    const secret = 'eyJhbGciOiJIUzI1NiJ9.not-checked-here.signature';
    const monitor = run('monitor', '--url', runtime.url, '--token', secret);
    await monitor.waitForOutput(/connected/, 'the monitor to connect');
    expect(monitor.stderr).toMatch(/connected ws:\/\/\S+token=…/);
    expect(`${monitor.stdout}${monitor.stderr}`).not.toContain('not-checked-here');
  });

  it('two monitors with one client id: each prints the takeover and backs off', async () => {
    const first = run('monitor', '--url', runtime.url, '--client-id', 'cli-twin');
    await first.waitForOutput(/connected/, 'the first monitor');
    const second = run('monitor', '--url', runtime.url, '--client-id', 'cli-twin');
    await first.waitForOutput(/error: session taken over: another connection with clientId cli-twin took the session/, 'the first monitor to report the takeover');
    await second.waitForOutput(/session taken over/, 'the second monitor to report one');
    expect(first.stderr).toMatch(/session taken over: .*1 time in a row\); reconnecting in \d+ ms/);
  });

  it('qosgate presence follows a client: online, then offline with the reason; --will is published when the process dies, not after Ctrl-C', async () => {
    const presence = run('presence', '--url', runtime.url, '--client', 'cli-dev', '--count', '4');
    await presence.waitForOutput(/following \$presence\/cli-dev/, 'presence to subscribe');
    const wills = run('subscribe', '--url', runtime.url, '--topic', 'status/cli-dev', '--count', '1');
    await wills.waitForOutput(/subscribed monitor\/status\/cli-dev/, 'the will subscription');

    // Ctrl-C: close() says goodbye, so no will.
    const polite = run('monitor', '--url', runtime.url, '--client-id', 'cli-dev', '--will', 'monitor|status/cli-dev|"polite"', '--will-qos', '1');
    await polite.waitForOutput(/connected/, 'the first monitor');
    expect(await polite.stop()).toBe(0);
    await presence.waitForOutput(/offline at \S+: client disconnect/, 'the clean goodbye');

    // Killed: the will is published, and presence says gone.
    const doomed = run('monitor', '--url', runtime.url, '--client-id', 'cli-dev', '--will', 'monitor|status/cli-dev|"doomed"', '--will-qos', '1');
    await doomed.waitForOutput(/connected/, 'the second monitor');
    await doomed.kill();
    expect(await wills.exited).toBe(0);
    // The first (and only) will seen is the killed one's: the polite one published none.
    expect(wills.lines()).toEqual([expect.stringMatching(/^monitor\/status\/cli-dev "doomed" qos=1 id=\S+ dup=false$/)]);
    expect(await presence.exited).toBe(0);
    expect(presence.lines()).toEqual([
      expect.stringMatching(/^cli-dev online since \S+Z \(connection \S+\)$/),
      expect.stringMatching(/^cli-dev offline at \S+Z: client disconnect \(connection \S+\)$/),
      expect.stringMatching(/^cli-dev online since \S+Z \(connection \S+\)$/),
      expect.stringMatching(/^cli-dev offline at \S+Z: gone \(connection \S+\)$/),
    ]);
  });
});
