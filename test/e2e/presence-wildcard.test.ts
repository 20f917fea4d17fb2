import { describe, expect, it } from 'vitest';
import { useE2eRuntime } from '../support/e2e-runtime.js';
import { silentLogger } from '../../lambdas/ports/logger.js';

/**
 * PROTOCOL §9 with §8: `$presence` / `#` lists who is online now (every client's retained
 * presence value, at once) and then every change. Needs the wildcard subscriptions of §8 (built
 * on another branch of issue 15): on the presence branch alone, `#` is refused (BAD_REQUEST),
 * and this test fails until both are merged.
 */
describe('$presence / # on the local runtime', () => {
  const { connect } = useE2eRuntime({ dashboard: false, log: silentLogger });

  it('lists who is online now and who left (the retained values), then follows every change', async () => {
    // A witness of p-b's end, so the test knows its disconnected is retained before it looks.
    const witness = await connect({});
    witness.send({ action: 'subscribe', controller: '$presence', topic: 'p-b' });
    await witness.waitFor((c) => c.json().find((f) => f.type === 'suback'));
    await connect({ clientId: 'p-a' });
    const leaver = await connect({ clientId: 'p-b' });
    leaver.socket.terminate();
    await witness.waitFor((c) => c.messages().find((m) => (m.data as { event?: string }).event === 'disconnected'), 15_000, 'p-b gone');

    const watch = await connect({ qos: '1' });
    watch.send({ action: 'subscribe', controller: '$presence', topic: '#', qos: 1 });
    const presence = () => watch.messages().filter((m) => m.controller === '$presence' && m.dup !== true);
    const state = (clientId: string) => presence().filter((m) => m.topic === clientId).map((m) => [(m.data as { event: string }).event, m.retained === true]);
    await watch.waitFor(() => state('p-a').length > 0 && state('p-b').length > 0, 10_000, 'the retained presence of p-a and p-b');
    expect(state('p-a')).toEqual([['connected', true]]);
    expect(state('p-b')).toEqual([['disconnected', true]]);

    await connect({ clientId: 'p-c' });
    await watch.waitFor(() => state('p-c').length > 0, 10_000, 'p-c connected');
    expect(state('p-c')).toEqual([['connected', false]]);
  });
});
