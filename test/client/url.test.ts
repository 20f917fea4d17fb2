import { describe, expect, it } from 'vitest';
import { buildConnectUrl, redactUrl } from '../../client/url.js';

describe('buildConnectUrl (PROTOCOL §1)', () => {
  it('names the parameters as the contract does, format=json always', () => {
    const url = new URL(buildConnectUrl('wss://example.com/prod', { qos: 2, controllers: ['monitor', 'sensor'], clientId: 'dev-7', session: 'persistent', token: 't0k' }));
    expect(Object.fromEntries(url.searchParams)).toEqual({ qos: '2', controllers: 'monitor,sensor', clientId: 'dev-7', session: 'persistent', format: 'json', token: 't0k' });
    expect(url.pathname).toBe('/prod');
  });

  it('leaves out what is not given and replaces what the URL already says instead of doubling it', () => {
    const url = new URL(buildConnectUrl('ws://h/dev?QoS=1&controller=sensor&format=text', { qos: 2, controllers: ['monitor'] }));
    expect([...url.searchParams.entries()]).toEqual([
      ['qos', '2'],
      ['controllers', 'sensor,monitor'],
      ['format', 'json'],
    ]);
    expect(new URL(buildConnectUrl('ws://h/dev?qos=1', {})).searchParams.get('qos')).toBe('1');
  });
});

describe('redactUrl: a token is never shown whole', () => {
  it('elides the token parameter, wherever it stands and however it is spelled, and leaves the rest', () => {
    expect(redactUrl('ws://h/dev?qos=1&token=eyJ.a.b&format=json')).toBe('ws://h/dev?qos=1&token=…&format=json');
    expect(redactUrl('ws://h/dev?Token=eyJ.a.b')).toBe('ws://h/dev?Token=…');
    expect(redactUrl('could not connect to ws://h/dev?token=x#frag: refused (401)')).toBe('could not connect to ws://h/dev?token=…#frag: refused (401)');
    expect(redactUrl('ws://h/dev?qos=1')).toBe('ws://h/dev?qos=1');
  });
});

describe('buildConnectUrl: the will (PROTOCOL §9)', () => {
  it('writes the will as the will... query parameters, its data always as JSON', () => {
    const url = buildConnectUrl('wss://x.example/prod', { clientId: 'dev-7', will: { controller: 'monitor', topic: 'status/dev-7', data: 'offline', qos: 1, retain: true } });
    expect(Object.fromEntries(new URL(url).searchParams)).toEqual({
      clientId: 'dev-7',
      format: 'json',
      willController: 'monitor',
      willTopic: 'status/dev-7',
      willData: '"offline"',
      willQos: '1',
      willRetain: 'true',
    });
  });

  it('leaves out what the will does not say (the server defaults: null, qos 0, retain false)', () => {
    const url = buildConnectUrl('wss://x.example/prod', { will: { controller: 'monitor', topic: 't' } });
    expect(Object.fromEntries(new URL(url).searchParams)).toEqual({ format: 'json', willController: 'monitor', willTopic: 't' });
  });
});
