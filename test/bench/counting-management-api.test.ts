import { afterEach, describe, expect, it } from 'vitest';
import { ApiGatewayConnectionGateway, apiGatewayClientFor } from '../../lambdas/adapters/apigateway/api-gateway-connection-gateway.js';
import { startCountingManagementApi, type CountingManagementApi } from '../../bench/counting-management-api.js';
import { startManagementEndpoint, type ManagementEndpoint } from '../support/management-endpoint.js';

/**
 * The bench's counting management endpoint, driven by the real ApiGatewayManagementApiClient
 * (as the functions use it): counted connections are answered 200 and counted per id, every
 * other request reaches the gateway behind it unchanged, its answers (410 Gone) included.
 */
describe('the counting management API', () => {
  let counting: CountingManagementApi | undefined;
  let upstream: ManagementEndpoint | undefined;
  afterEach(async () => {
    await counting?.close();
    await upstream?.close();
    counting = upstream = undefined;
  });

  const gatewayThrough = (api: CountingManagementApi, stage = 'test') =>
    new ApiGatewayConnectionGateway(apiGatewayClientFor(`${api.origin}/${stage}`, { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));

  it('answers posts to counted connections with 200 and counts them per connection and frame type', async () => {
    counting = await startCountingManagementApi({ counted: (id) => id.startsWith('stored') });
    const gateway = gatewayThrough(counting);
    expect(await gateway.post('stored-1', JSON.stringify({ type: 'message', id: 'a' }))).toBe('ok');
    expect(await gateway.post('stored-2', JSON.stringify({ type: 'message', id: 'a' }))).toBe('ok');
    expect(await gateway.post('stored-1', JSON.stringify({ type: 'message', id: 'a', dup: true }))).toBe('ok');
    expect(await gateway.post('stored-2', 'not json')).toBe('ok');
    expect(await gateway.isOpen('stored-3')).toBe(true);
    const stats = counting.counts();
    expect(stats).toMatchObject({ posts: 4, distinct: 2, postedMoreThanOnce: 2, byType: { message: 3, text: 1 }, forwarded: 0 });
    expect(stats.lastPostAt).toBeGreaterThanOrEqual(stats.firstPostAt as number);
  });

  it('passes every other connection on to the gateway, its 410 Gone included, and counts none of it', async () => {
    upstream = await startManagementEndpoint();
    counting = await startCountingManagementApi({ counted: (id) => id.startsWith('stored') });
    counting.forwardTo(upstream.url);
    const stage = new URL(upstream.url).pathname.slice(1);
    const gateway = gatewayThrough(counting, stage);
    expect(await gateway.post('real-1', '{"type":"msgack","id":"p-1"}')).toBe('ok');
    upstream.markGone('real-2');
    expect(await gateway.post('real-2', '{"type":"msgack"}')).toBe('gone');
    await gateway.disconnect('real-1');
    expect(upstream.received('real-1')).toEqual(['{"type":"msgack","id":"p-1"}']);
    expect(upstream.deleted()).toEqual(['real-1']);
    expect(counting.counts()).toMatchObject({ posts: 0, distinct: 0, forwarded: 3 });
  });

  it('answers 503 for connections it does not count until it knows the gateway', async () => {
    counting = await startCountingManagementApi({ counted: () => false });
    const response = await fetch(`${counting.origin}/test/@connections/real-1`, { method: 'POST', body: 'x' });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ message: 'Service Unavailable' });
  });
});
