import { describe, expect, it } from 'vitest';
import { HandshakeError } from '../../../lambdas/core/errors.js';
import { parseConnectParams } from '../../../lambdas/core/frames/connect-params.js';

/** PROTOCOL §9: the will at connect, in query parameters (connect-params.ts parseWill). */
function refusal(query: Record<string, string>): HandshakeError {
  try {
    parseConnectParams(query, {});
  } catch (error) {
    expect(error).toBeInstanceOf(HandshakeError);
    return error as HandshakeError;
  }
  throw new Error(`accepted: ${JSON.stringify(query)}`);
}

describe('parseConnectParams: the will parameters (PROTOCOL §9)', () => {
  it('reads willController, willTopic, willData (JSON where it parses), willQos and willRetain, names in any case', () => {
    expect(parseConnectParams({ willController: 'monitor', willTopic: 'status/dev-7', willData: '{"state":"offline"}', willQos: '1', WILLRETAIN: 'True' }, {}).will).toEqual({
      controller: 'monitor',
      topic: 'status/dev-7',
      data: { state: 'offline' },
      qos: 1,
      retain: true,
    });
  });

  it('data that is not JSON is the text; no data is null; qos 0 and retain false by default', () => {
    expect(parseConnectParams({ willController: 'monitor', willTopic: 't', willData: 'offline' }, {}).will).toEqual({ controller: 'monitor', topic: 't', data: 'offline', qos: 0, retain: false });
    expect(parseConnectParams({ willController: 'monitor', willTopic: 't' }, {}).will).toMatchObject({ data: null });
    expect(parseConnectParams({ willController: 'monitor', willTopic: 't', willData: '1e999' }, {}).will).toMatchObject({ data: '1e999' });
  });

  it('no will parameters: no will', () => {
    expect(parseConnectParams({ qos: '1' }, {})).not.toHaveProperty('will');
  });

  it.each([
    [{ willController: 'monitor' }, 'willTopic is required with the other will parameters'],
    [{ willQos: '1' }, 'willTopic is required with the other will parameters'],
    [{ willTopic: 't' }, 'willController is required with willTopic'],
    [{ willController: 'a b', willTopic: 't' }, 'willController must be 1-128 characters of A-Za-z0-9._:/-'],
    [{ willController: '$presence', willTopic: 't' }, "willController cannot start with $: those controllers are the server's (PROTOCOL §9)"],
    [{ willController: 'monitor', willTopic: 'a|b' }, 'willTopic must be 1-128 characters of A-Za-z0-9._:/-'],
    [{ willController: 'monitor', willTopic: 'msgack' }, 'willTopic msgack is reserved'],
    [{ willController: 'monitor', willTopic: 't', willQos: '01' }, 'willQos must be 0, 1 or 2'],
    [{ willController: 'monitor', willTopic: 't', willRetain: '1' }, 'willRetain must be true or false'],
  ])('refuses %j with 400: %s', (query, message) => {
    expect(refusal(query)).toMatchObject({ statusCode: 400, message });
  });
});
