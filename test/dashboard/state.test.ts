import { describe, expect, it } from 'vitest';
import { createMemoryStores } from '../../lambdas/adapters/memory/index.js';
import type { ConnectionRecord, PendingEntry } from '../../lambdas/core/types.js';
import { StateReader } from '../../local/dashboard/state.js';

const NOW = 1_000_000;

const connection = (connectionId: string, sessionId: string): ConnectionRecord => ({
  connectionId,
  sessionId,
  sessionKind: 'persistent',
  claimedQos: 1,
  format: 'json',
  controllers: ['monitor'],
  connectedAt: NOW - 5000,
  expiresAt: NOW + 3_600_000,
});

const pending = (sessionId: string, id: string, attempts: number): PendingEntry => ({
  sessionId,
  id,
  connectionId: 'c1',
  sessionKind: 'persistent',
  format: 'json',
  controller: 'monitor',
  topic: 'temp',
  data: 21.5,
  qos: 1,
  state: 'sent',
  parked: false,
  attempts,
  createdAt: NOW - 3000 + attempts,
  deadlineAt: NOW + 86_400_000,
  dueAt: NOW + 500,
  expiresAt: NOW + 90_000_000,
});

describe('the dashboard state (read by key and by Query, never by Scan)', () => {
  it('shows each open connection with its record, its session\'s pending entries and dead letters', async () => {
    const stores = createMemoryStores();
    await stores.connections.put(connection('c1', 'dev-7'));
    await stores.pending.putMany([pending('dev-7', 'm2', 1), pending('dev-7', 'm1', 3), pending('other', 'x', 1)]);
    await stores.deadLetters.put({ entry: pending('dev-7', 'm0', 20), reason: 'attempts', deadAt: NOW - 10, expiresAt: NOW + 1_000_000 });
    let live = [
      { connectionId: 'c1', connectedAt: NOW - 5000, sourceIp: '127.0.0.1' },
      { connectionId: 'c2', connectedAt: NOW - 1, sourceIp: '127.0.0.1' }, // still in $connect: no record yet
    ];
    const reader = new StateReader(stores, () => live);

    const state = await reader.read(NOW);
    expect(state.connections).toEqual([
      { connectionId: 'c1', connectedAt: NOW - 5000, sourceIp: '127.0.0.1', sessionId: 'dev-7', sessionKind: 'persistent', claimedQos: 1, format: 'json', controllers: ['monitor'] },
      { connectionId: 'c2', connectedAt: NOW - 1, sourceIp: '127.0.0.1' },
    ]);
    // Only sessions seen through a connection: 'other' is nobody's here.
    expect(state.pending.map((p) => [p.sessionId, p.id, p.attempts, p.dueAt, p.held])).toEqual([
      ['dev-7', 'm2', 1, NOW + 500, false],
      ['dev-7', 'm1', 3, NOW + 500, false],
    ]);
    expect(state.deadLetters).toEqual([expect.objectContaining({ sessionId: 'dev-7', id: 'm0', attempts: 20, reason: 'attempts', deadAt: NOW - 10 })]);

    // A persistent session whose connection went away still shows what it left.
    live = [];
    const later = await reader.read(NOW);
    expect(later.connections).toEqual([]);
    expect(later.pending).toHaveLength(2);
  });
  it('shows the presence of every session seen: online, or offline with when and why (the retained $presence values, PROTOCOL §9)', async () => {
    const stores = createMemoryStores();
    await stores.connections.put(connection('c1', 'dev-7'));
    await stores.connections.put(connection('c2', 'dev-8'));
    const retain = (topic: string, data: unknown) => stores.retained.put({ controller: '$presence', topic, data, qos: 1, publishedAt: NOW, expiresAt: NOW + 1_000_000 });
    await retain('dev-7', { event: 'connected', clientId: 'dev-7', connectionId: 'c1', at: NOW - 5000 });
    await retain('dev-8', { event: 'connected', clientId: 'dev-8', connectionId: 'c2', at: NOW - 4000 });
    // Somebody the dashboard never saw: not shown (read by key, never by Scan).
    await retain('stranger', { event: 'connected', clientId: 'stranger', connectionId: 'c9', at: NOW });
    let live = [
      { connectionId: 'c1', connectedAt: NOW - 5000, sourceIp: '127.0.0.1' },
      { connectionId: 'c2', connectedAt: NOW - 4000, sourceIp: '127.0.0.1' },
    ];
    const reader = new StateReader(stores, () => live);
    expect((await reader.read(NOW)).presence).toEqual([
      { sessionId: 'dev-8', online: true, at: NOW - 4000, connectionId: 'c2' },
      { sessionId: 'dev-7', online: true, at: NOW - 5000, connectionId: 'c1' },
    ]);

    // dev-8 leaves: still shown, offline, with the reason.
    live = [live[0]!];
    await retain('dev-8', { event: 'disconnected', clientId: 'dev-8', connectionId: 'c2', at: NOW - 10, reason: 'idle timeout' });
    expect((await reader.read(NOW)).presence).toEqual([
      { sessionId: 'dev-7', online: true, at: NOW - 5000, connectionId: 'c1' },
      { sessionId: 'dev-8', online: false, at: NOW - 10, connectionId: 'c2', reason: 'idle timeout' },
    ]);
  });
});
