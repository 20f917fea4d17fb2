import { describe, expect, it } from 'vitest';
import { checkCommand, checkConnect, grantsFromClaims, grantsFromContext, grantsToContext } from '../../../lambdas/core/auth/grants.js';
import { ProtocolError } from '../../../lambdas/core/errors.js';
import type { Command } from '../../../lambdas/core/types.js';

const grants = { clientId: 'dev-7', controllers: ['monitor'], actions: ['subscribe' as const] };
const publish = (controller: string): Command => ({ action: 'publish', controller, topic: 'temp', data: 1, qos: 1, id: 'c-1', retain: false, dup: false });

describe('grants from verified claims', () => {
  it('reads clientId, controllers and actions (arrays or comma/space lists; Cognito custom attributes)', () => {
    expect(grantsFromClaims({ clientId: 'dev-7', controllers: ['monitor', 'sensor'], actions: ['publish'] })).toEqual({ clientId: 'dev-7', controllers: ['monitor', 'sensor'], actions: ['publish'] });
    expect(grantsFromClaims({ sub: 'u-1', 'custom:controllers': 'monitor, sensor', 'custom:actions': 'publish subscribe' })).toEqual({ clientId: 'u-1', controllers: ['monitor', 'sensor'], actions: ['publish', 'subscribe'] });
    expect(grantsFromClaims({ client_id: 'app-1', sub: 'x', controllers: '*', actions: 'subscribe' })).toMatchObject({ clientId: 'app-1', controllers: ['*'] });
  });

  it.each([
    [{ controllers: ['m'], actions: ['publish'] }, /names no client/],
    [{ clientId: 'a', actions: ['publish'] }, /lists no controllers/],
    [{ clientId: 'a', controllers: ['m'] }, /lists no actions/],
    [{ clientId: 'a', controllers: ['m'], actions: ['publish', 'admin'] }, /unknown actions: admin/],
    [{ clientId: 'a', controllers: [1], actions: ['publish'] }, /lists no controllers/],
  ])('refuses claims it cannot read: %j', (claims, reason) => {
    expect(grantsFromClaims(claims)).toEqual({ invalid: expect.stringMatching(reason) });
  });
});

describe('the handshake check (403)', () => {
  it("allows the token's own clientId or none, and only listed controllers", () => {
    expect(checkConnect(grants, { clientId: 'dev-7', controllers: ['monitor'] })).toEqual({ allowed: true });
    expect(checkConnect(grants, { controllers: [] })).toEqual({ allowed: true });
    expect(checkConnect(grants, { clientId: 'dev-8', controllers: [] })).toMatchObject({ allowed: false, reason: expect.stringMatching(/dev-8 is not the token's/) });
    expect(checkConnect(grants, { clientId: 'dev-7', controllers: ['monitor', 'sensor'] })).toMatchObject({ allowed: false, reason: expect.stringMatching(/controller sensor/) });
    expect(checkConnect({ ...grants, controllers: ['*'] }, { controllers: ['sensor'] })).toEqual({ allowed: true });
  });
});

describe('the frame check (FORBIDDEN)', () => {
  const forbidden = (g: Parameters<typeof checkCommand>[0], command: Command) => {
    try {
      checkCommand(g, command);
      return undefined;
    } catch (error) {
      expect(error).toBeInstanceOf(ProtocolError);
      return (error as ProtocolError).code;
    }
  };

  it('enforces the action and the controller of publish, subscribe and unsubscribe', () => {
    expect(forbidden(grants, publish('monitor'))).toBe('FORBIDDEN'); // no publish action
    expect(forbidden({ ...grants, actions: ['publish'] }, publish('sensor'))).toBe('FORBIDDEN'); // no sensor
    expect(forbidden({ ...grants, actions: ['publish'] }, publish('monitor'))).toBeUndefined();
    expect(forbidden(grants, { action: 'subscribe', controller: 'monitor', topic: 't', qos: 1 })).toBeUndefined();
    expect(forbidden(grants, { action: 'unsubscribe', controller: 'sensor', topic: 't' })).toBe('FORBIDDEN');
  });

  it('never blocks the QoS steps, resume or ping; enforces nothing without grants (auth off)', () => {
    const none = { clientId: 'x', controllers: [], actions: [] };
    for (const command of [{ action: 'msgack', ids: ['m1'] }, { action: 'pubrec', id: 'm1' }, { action: 'pubrel', id: 'c1' }, { action: 'resume' }, { action: 'ping' }] as Command[]) {
      expect(forbidden(none, command)).toBeUndefined();
    }
    expect(forbidden(undefined, publish('sensor'))).toBeUndefined();
  });

  it('round-trips through the string-only authorizer context, and fails closed on a context without grants', () => {
    const full = { clientId: 'dev-7', controllers: ['monitor', 'sensor'], actions: ['publish' as const, 'subscribe' as const] };
    expect(grantsToContext(full)).toEqual({ clientId: 'dev-7', controllers: 'monitor,sensor', actions: 'publish,subscribe' });
    expect(grantsFromContext({ ...grantsToContext(full), principalId: 'dev-7', integrationLatency: 3 })).toEqual(full);
    expect(grantsFromContext(undefined)).toBeUndefined();
    expect(grantsFromContext({ principalId: 'x' })).toEqual({ clientId: '', controllers: [], actions: [] });
  });
});

describe('a will is checked as the publish it becomes (PROTOCOL §9)', () => {
  const will = { controller: 'monitor', topic: 'status/dev-7', data: 'offline', qos: 1 as const, retain: true };
  const publisher = { clientId: 'dev-7', controllers: ['monitor'], actions: ['publish' as const] };

  it('a will frame needs publish on its controller: FORBIDDEN otherwise, saying which', () => {
    expect(() => checkCommand(publisher, { action: 'will', will })).not.toThrow();
    expect(() => checkCommand(grants, { action: 'will', will })).toThrow(expect.objectContaining({ code: 'FORBIDDEN', message: 'this connection may not publish (a will is published as its own publish)', action: 'will' }));
    expect(() => checkCommand(publisher, { action: 'will', will: { ...will, controller: 'sensor' } })).toThrow(expect.objectContaining({ code: 'FORBIDDEN', message: 'this connection may not use controller sensor' }));
  });

  it('clearing a will, and disconnect, need no grant', () => {
    expect(() => checkCommand({ controllers: [], actions: [] }, { action: 'will' })).not.toThrow();
    expect(() => checkCommand({ controllers: [], actions: [] }, { action: 'disconnect' })).not.toThrow();
  });

  it('a will in the handshake needs the same: 403 with the reason', () => {
    expect(checkConnect(publisher, { controllers: [], will })).toEqual({ allowed: true });
    expect(checkConnect(publisher, { controllers: [], will: { ...will, controller: 'sensor' } })).toEqual({ allowed: false, reason: "the token does not grant controller sensor (the will's)" });
    expect(checkConnect({ ...grants, controllers: ['*'] }, { controllers: [], will })).toEqual({ allowed: false, reason: 'the token does not grant publish, which a will needs' });
  });

  it('subscribing to $presence needs the subscribe right on $presence', () => {
    const subscribe = { action: 'subscribe' as const, controller: '$presence', topic: 'dev-7', qos: 1 as const };
    expect(() => checkCommand(grants, subscribe)).toThrow(expect.objectContaining({ code: 'FORBIDDEN', message: 'this connection may not use controller $presence' }));
    expect(() => checkCommand({ ...grants, controllers: ['$presence'] }, subscribe)).not.toThrow();
  });
});

describe('a batched publish is checked message by message (PROTOCOL §2 messages)', () => {
  const publisher = { clientId: 'dev-7', controllers: ['monitor'], actions: ['publish' as const] };
  const message = (controller: string) => ({ controller, topic: 't', data: 1, retain: false });
  const batch = (...controllers: string[]): Command => ({ action: 'publish', qos: 1, id: 'c-9', dup: false, messages: controllers.map(message) });

  it('needs the right to every message’s controller: FORBIDDEN naming the first message without it', () => {
    expect(() => checkCommand(publisher, batch('monitor', 'monitor'))).not.toThrow();
    expect(() => checkCommand(publisher, batch('monitor', 'sensor', 'monitor'))).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', message: 'messages[1]: this connection may not use controller sensor', action: 'publish', id: 'c-9' }),
    );
  });

  it('needs the publish action', () => {
    expect(() => checkCommand({ ...publisher, actions: ['subscribe'] }, batch('monitor'))).toThrow(expect.objectContaining({ code: 'FORBIDDEN', message: 'this connection may not publish' }));
  });
});
