import { describe, expect, it } from 'vitest';
import { useE2eRuntime } from '../support/e2e-runtime.js';
import { silentLogger } from '../../lambdas/ports/logger.js';

/**
 * PROTOCOL §9 last will and presence, end to end: plain `ws` clients against the local runtime
 * (its gateway, the template's functions under their IAM policies, DynamoDB Local).
 *
 * No assertion waits on time for something not to happen: a watcher subscribes to the will's
 * topic and to the client's presence, and the `$disconnect` that would publish a will publishes
 * it before the `disconnected` presence, to the same watcher connection. So once the
 * `disconnected` is in, every will that connection's end published is in too.
 */
describe('last will and presence on the local runtime', () => {
  const { connect } = useE2eRuntime({ dashboard: false, log: silentLogger });


  /** A QoS 0 watcher of `monitor/status/<clientId>` and `$presence/<clientId>`. */
  async function watcher(clientId: string) {
    const watch = await connect({});
    watch.send({ action: 'subscribe', controller: 'monitor', topic: `status/${clientId}` });
    watch.send({ action: 'subscribe', controller: '$presence', topic: clientId });
    await watch.waitFor((c) => c.json().filter((f) => f.type === 'suback').length === 2, 10_000, 'two subacks');
    const wills = () => watch.messages().filter((m) => m.controller === 'monitor' && m.retained !== true);
    const presence = () => watch.messages().filter((m) => m.controller === '$presence').map((m) => m.data as Record<string, unknown>);
    const disconnected = (connectionOf: (p: Record<string, unknown>) => boolean = () => true) =>
      watch.waitFor((c) => c && presence().find((p) => p.event === 'disconnected' && connectionOf(p)), 15_000, 'a disconnected presence');
    return { watch, wills, presence, disconnected };
  }

  it('a client that vanishes (socket destroyed, no close frame): its will reaches the subscriber once, and presence says gone', async () => {
    const w = await watcher('dev-k');
    const device = await connect({ clientId: 'dev-k' });
    device.send({ action: 'will', controller: 'monitor', topic: 'status/dev-k', data: 'offline', qos: 1, retain: true });
    await device.waitFor((c) => c.json().find((f) => f.type === 'willack'), 10_000, 'willack');
    await w.watch.waitFor(() => w.presence().find((p) => p.event === 'connected'), 10_000, 'connected');

    device.socket.terminate();
    const gone = await w.disconnected();
    expect(gone).toMatchObject({ event: 'disconnected', clientId: 'dev-k', reason: 'gone' });
    expect(w.wills()).toEqual([{ type: 'message', controller: 'monitor', topic: 'status/dev-k', data: 'offline', qos: 0, dup: false }]);

    // Retained, both: a late subscriber sees the will and who is (not) online now.
    const late = await connect({});
    late.send({ action: 'subscribe', controller: 'monitor', topic: 'status/dev-k' });
    late.send({ action: 'subscribe', controller: '$presence', topic: 'dev-k' });
    await late.waitFor((c) => c.messages().length === 2, 10_000, 'two retained values');
    expect(late.messages().map((m) => [m.controller, m.retained, m.data])).toEqual(
      expect.arrayContaining([
        ['monitor', true, 'offline'],
        ['$presence', true, expect.objectContaining({ event: 'disconnected', reason: 'gone' })],
      ]),
    );
  });

  it('no will after `disconnect`: the server closes the connection, presence says client disconnect', async () => {
    const w = await watcher('dev-d');
    const device = await connect({ clientId: 'dev-d', willController: 'monitor', willTopic: 'status/dev-d', willData: 'offline', willQos: '1' });
    await w.watch.waitFor(() => w.presence().find((p) => p.event === 'connected'), 10_000, 'connected');
    device.send({ action: 'disconnect' });
    await device.waitFor((c) => c.closed, 10_000, 'the server to close the connection');
    expect(await w.disconnected()).toMatchObject({ clientId: 'dev-d', reason: 'client disconnect' });
    expect(w.wills()).toEqual([]);
  });

  it('a takeover by another connection of the clientId publishes the first one’s will once; presence: disconnected (takeover), then connected', async () => {
    const w = await watcher('dev-t');
    const first = await connect({ clientId: 'dev-t', willController: 'monitor', willTopic: 'status/dev-t', willData: 'replaced' });
    await w.watch.waitFor(() => w.presence().find((p) => p.event === 'connected'), 10_000, 'connected');
    await connect({ clientId: 'dev-t' });
    await first.waitFor((c) => c.closed, 10_000, 'the first connection to be closed');
    await w.watch.waitFor(() => w.presence().filter((p) => p.event === 'connected').length === 2, 10_000, 'the second connected');
    expect(w.presence().map((p) => [p.event, p.reason])).toEqual([
      ['connected', undefined],
      ['disconnected', 'takeover'],
      ['connected', undefined],
    ]);
    expect(w.wills().map((m) => m.data)).toEqual(['replaced']);
  });

  it('presence: `connected` and `disconnected` reach a $presence subscriber at QoS 1, with the connection id and time', async () => {
    const watch = await connect({ qos: '1' });
    watch.send({ action: 'subscribe', controller: '$presence', topic: 'dev-p', qos: 1 });
    await watch.waitFor((c) => c.json().find((f) => f.type === 'suback'));
    const device = await connect({ clientId: 'dev-p' });
    const connected = await watch.waitFor((c) => c.messages().find((m) => (m.data as { event?: string }).event === 'connected'));
    expect(connected).toMatchObject({ controller: '$presence', topic: 'dev-p', qos: 1, data: { event: 'connected', clientId: 'dev-p', connectionId: expect.any(String), at: expect.any(Number) } });
    watch.send({ action: 'msgack', id: connected.id as string });
    await device.close();
    const disconnected = await watch.waitFor((c) => c.messages().find((m) => (m.data as { event?: string }).event === 'disconnected'));
    expect(disconnected).toMatchObject({ qos: 1, data: { event: 'disconnected', clientId: 'dev-p', connectionId: (connected.data as { connectionId: string }).connectionId, reason: 'gone' } });
    watch.send({ action: 'msgack', id: disconnected.id as string });
  });
});
