import { describe, expect, it } from 'vitest';
import { ClientClosedError, ServerRefusedError } from '../../client/errors.js';
import { openFakeClient } from './support/client-fixture.js';
import { settle } from './support/fakes.js';

const item = (data: number, at: number) => ({ data, at, clientId: 'dev-7' });

describe('client.history (PROTOCOL §10)', () => {
  it('sends one history frame with its own id and resolves with the items of every frame of that id, until more: false', async () => {
    const { client, socket } = await openFakeClient();
    const result = client.historyPage('sensor', 'temp', { since: 1000, limit: 3 });
    const [frame] = socket().frames() as Array<Record<string, unknown>>;
    expect(frame).toMatchObject({ action: 'history', controller: 'sensor', topic: 'temp', since: 1000, limit: 3 });
    const id = frame?.id as string;
    expect(id).toMatch(/^h-/);
    socket().deliver({ type: 'history', controller: 'sensor', topic: 'temp', items: [item(3, 30)], more: true, id });
    // Another request's frame is not mixed in.
    socket().deliver({ type: 'history', controller: 'sensor', topic: 'temp', items: [item(99, 99)], more: false, id: 'h-other' });
    socket().deliver({ type: 'history', controller: 'sensor', topic: 'temp', items: [item(2, 20), item(1, 10)], more: false, next: 10, id });
    expect(await result).toEqual({ items: [item(3, 30), item(2, 20), item(1, 10)], next: 10 });
    await client.close();
  });

  it('history() resolves with the items only; an error frame with the request id rejects with ServerRefusedError', async () => {
    const { client, socket } = await openFakeClient();
    const ok = client.history('sensor', 'temp');
    const refused = client.history('sensor', 'temp', { limit: 0 });
    const [first, second] = socket().frames() as Array<{ id: string }>;
    socket().deliver({ type: 'error', code: 'BAD_REQUEST', message: 'limit must be a whole number from 1 to 1000', action: 'history', id: second!.id });
    socket().deliver({ type: 'history', controller: 'sensor', topic: 'temp', items: [item(1, 10)], more: false, id: first!.id });
    expect(await ok).toEqual([item(1, 10)]);
    await expect(refused).rejects.toBeInstanceOf(ServerRefusedError);
    await expect(refused).rejects.toMatchObject({ serverCode: 'BAD_REQUEST', id: second!.id });
    await client.close();
  });

  it('a request unanswered when the connection drops is sent again, whole, on the next open (a partial answer is dropped)', async () => {
    const { client, socket, time, transport } = await openFakeClient();
    const result = client.history('sensor', 'temp');
    const { id } = socket().frames()[0] as { id: string };
    socket().deliver({ type: 'history', controller: 'sensor', topic: 'temp', items: [item(2, 20)], more: true, id });
    transport.last().serverClose(1006);
    await time.advance(1000);
    transport.last().accept();
    await settle();
    expect(transport.last().frames()).toContainEqual(expect.objectContaining({ action: 'history', id }));
    transport.last().deliver({ type: 'history', controller: 'sensor', topic: 'temp', items: [item(2, 20), item(1, 10)], more: false, id });
    expect(await result).toEqual([item(2, 20), item(1, 10)]);
    await client.close();
  });

  it('rejects with ClientClosedError when closed before the answer, and after close', async () => {
    const { client } = await openFakeClient();
    const waiting = client.history('sensor', 'temp');
    await client.close();
    await expect(waiting).rejects.toBeInstanceOf(ClientClosedError);
    await expect(client.history('sensor', 'temp')).rejects.toBeInstanceOf(ClientClosedError);
  });
});
