import { describe, expect, it } from 'vitest';
import { disconnectReason, MAX_CONNECTION_DURATION_MS, MAX_DURATION_SLACK_MS, presencePublication, willPublication } from '../../lambdas/core/presence.js';

describe('presence messages (PROTOCOL §9)', () => {
  it('on $presence, topic the clientId, QoS 1, retained, with the data §9 names', () => {
    expect(presencePublication({ sessionId: 'dev-7', connectionId: 'c1=' }, 'disconnected', 1000, 'gone')).toEqual({
      controller: '$presence',
      topic: 'dev-7',
      data: { event: 'disconnected', clientId: 'dev-7', connectionId: 'c1=', at: 1000, reason: 'gone' },
      qos: 1,
      retain: true,
    });
  });

  it('a connection without clientId: topic its connection id, clientId null, no reason on connected', () => {
    expect(presencePublication({ sessionId: 'c1=', connectionId: 'c1=' }, 'connected', 5)).toEqual({
      controller: '$presence',
      topic: 'c1=',
      data: { event: 'connected', clientId: null, connectionId: 'c1=', at: 5 },
      qos: 1,
      retain: true,
    });
  });

  it('a will is published as its own publish', () => {
    expect(willPublication({ controller: 'monitor', topic: 't', data: 'offline', qos: 2, retain: true })).toEqual({ controller: 'monitor', topic: 't', data: 'offline', qos: 2, retain: true });
  });
});

describe('disconnectReason', () => {
  const connectedAt = 1_000_000;
  it('a disconnect frame is a client disconnect, whatever the close code', () => {
    expect(disconnectReason({ disconnecting: true, connectedAt }, 1001, connectedAt + 1)).toBe('client disconnect');
  });
  it('1001 is the idle timeout, or the 2 hour limit near that age', () => {
    expect(disconnectReason({ connectedAt }, 1001, connectedAt + 10 * 60_000)).toBe('idle timeout');
    expect(disconnectReason({ connectedAt }, 1001, connectedAt + MAX_CONNECTION_DURATION_MS - MAX_DURATION_SLACK_MS - 1)).toBe('idle timeout');
    expect(disconnectReason({ connectedAt }, 1001, connectedAt + MAX_CONNECTION_DURATION_MS - MAX_DURATION_SLACK_MS)).toBe('max duration');
  });
  it('anything else (a close by the client, a lost socket, a Gone send with no code) is gone', () => {
    for (const code of [1000, 1005, 1006, 1009, undefined]) expect(disconnectReason({ connectedAt }, code, connectedAt + 1)).toBe('gone');
  });
});
