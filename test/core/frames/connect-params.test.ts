import { describe, expect, it } from 'vitest';
import { HandshakeError } from '../../../lambdas/core/errors.js';
import { parseConnectParams } from '../../../lambdas/core/frames/connect-params.js';

type Query = Record<string, string | undefined> | null | undefined;

/** The HandshakeError a handshake is refused with; fails the test when it is accepted. */
function refusal(query: Query, headers: Query = {}): HandshakeError {
  try {
    parseConnectParams(query, headers);
  } catch (error) {
    expect(error).toBeInstanceOf(HandshakeError);
    return error as HandshakeError;
  }
  throw new Error(`handshake was accepted: ${JSON.stringify(query)}`);
}

const DEFAULTS = { claimedQos: 0, controllers: [], sessionKind: 'clean', format: 'json' };

describe('parseConnectParams (PROTOCOL §1)', () => {
  it('reads the example URL of §1', () => {
    expect(parseConnectParams({ qos: '1', controllers: 'monitor', clientId: 'dev-7', session: 'persistent', token: 'abc' }, {})).toEqual({
      claimedQos: 1,
      controllers: ['monitor'],
      clientId: 'dev-7',
      sessionKind: 'persistent',
      format: 'json',
      token: 'abc',
    });
  });

  it('defaults everything when nothing is given', () => {
    for (const query of [null, undefined, {}]) {
      const params = parseConnectParams(query, null);
      expect(params).toEqual(DEFAULTS);
      expect(params).not.toHaveProperty('clientId');
      expect(params).not.toHaveProperty('token');
    }
  });

  describe('qos', () => {
    it.each(['qos', 'QoS', 'QOS', 'Qos', 'qOs'])('reads the name %s in any case', (name) => {
      expect(parseConnectParams({ [name]: '2' }, {}).claimedQos).toBe(2);
    });

    it.each([
      ['0', 0],
      ['1', 1],
      ['2', 2],
    ])('takes %s', (value, qos) => {
      expect(parseConnectParams({ qos: value }, {}).claimedQos).toBe(qos);
    });

    it('is 0 when absent or empty', () => {
      expect(parseConnectParams({ qos: '' }, {}).claimedQos).toBe(0);
      expect(parseConnectParams({ qos: undefined }, {}).claimedQos).toBe(0);
    });

    it.each(['3', '-1', '01', ' 1', '1 ', '1.0', 'one', 'true', '0x1', '１'])('refuses %j with 400', (value) => {
      const error = refusal({ qos: value });
      expect(error.statusCode).toBe(400);
      expect(error.message).toBe('qos must be 0, 1 or 2');
    });

    it('takes the same value given under two spellings, refuses two different ones', () => {
      expect(parseConnectParams({ qos: '1', QoS: '1' }, {}).claimedQos).toBe(1);
      expect(refusal({ qos: '1', QoS: '2' }).message).toBe('qos and QoS disagree');
    });
  });

  describe('repeated parameters (API Gateway\'s multiValueQueryStringParameters)', () => {
    // API Gateway's queryStringParameters holds only the last value of a repeated name.
    const last = (multi: Record<string, string[]>) => Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v[v.length - 1]]));
    const params = (multi: Record<string, string[]>) => parseConnectParams(last(multi), {}, multi);
    const refused = (multi: Record<string, string[]>): HandshakeError => {
      try {
        params(multi);
      } catch (error) {
        expect(error).toBeInstanceOf(HandshakeError);
        return error as HandshakeError;
      }
      throw new Error(`handshake was accepted: ${JSON.stringify(multi)}`);
    };

    it('refuses ?qos=1&qos=2 with 400 naming qos, though the single map says 2', () => {
      const error = refused({ qos: ['1', '2'] });
      expect(error.statusCode).toBe(400);
      expect(error.message).toBe('qos is repeated with different values');
    });

    it('refuses every other disagreeing repeat, naming the parameter', () => {
      expect(refused({ clientId: ['a', 'b'] }).message).toBe('clientId is repeated with different values');
      expect(refused({ session: ['clean', 'persistent'], clientId: ['a'] }).message).toBe('session is repeated with different values');
      expect(refused({ format: ['json', 'text'] }).message).toBe('format is repeated with different values');
      expect(refused({ token: ['t1', 't2'] }).message).toBe('token is repeated with different values');
      expect(refused({ qos: ['1', '1'], QoS: ['2'] }).message).toBe('qos and QoS disagree');
    });

    it('takes identical repeats, and an empty repeat is an absent one', () => {
      expect(params({ qos: ['1', '1'], clientId: ['dev-7', 'dev-7'] })).toMatchObject({ claimedQos: 1, clientId: 'dev-7' });
      expect(params({ qos: ['', '2'] }).claimedQos).toBe(2);
    });

    it('merges repeated controllers and controller, in order, without duplicates', () => {
      expect(params({ controllers: ['monitor', 'sensor'] }).controllers).toEqual(['monitor', 'sensor']);
      expect(params({ controllers: ['monitor', 'sensor,monitor'], controller: ['chat', 'monitor'] }).controllers).toEqual(['monitor', 'sensor', 'chat']);
    });

    it('still reads the single-value map alone (a caller without the multi-value map)', () => {
      expect(parseConnectParams({ qos: '2', controllers: 'monitor' }, {}, null)).toMatchObject({ claimedQos: 2, controllers: ['monitor'] });
    });
  });

  describe('controllers', () => {
    it('reads a comma list, trimmed, without empty entries or duplicates, in order', () => {
      expect(parseConnectParams({ controllers: 'monitor,sensor' }, {}).controllers).toEqual(['monitor', 'sensor']);
      expect(parseConnectParams({ controllers: ' monitor , ,sensor,,monitor,' }, {}).controllers).toEqual(['monitor', 'sensor']);
      expect(parseConnectParams({ controllers: ',' }, {}).controllers).toEqual([]);
    });

    it('takes controller as well, merged with controllers', () => {
      expect(parseConnectParams({ controller: 'monitor' }, {}).controllers).toEqual(['monitor']);
      expect(parseConnectParams({ controllers: 'a,b', controller: 'b,c' }, {}).controllers).toEqual(['a', 'b', 'c']);
      expect(parseConnectParams({ Controllers: 'a', CONTROLLER: 'b' }, {}).controllers).toEqual(['a', 'b']);
    });

    it('takes names with / : . _ -', () => {
      expect(parseConnectParams({ controllers: 'site/3:floor.2_a-b' }, {}).controllers).toEqual(['site/3:floor.2_a-b']);
    });

    it.each([
      ['mon itor', 'controller "mon itor" must be 1-128 characters of A-Za-z0-9._:/-'],
      ['a,b|c', 'controller "b|c" must be 1-128 characters of A-Za-z0-9._:/-'],
      ['température', 'controller "température" must be 1-128 characters of A-Za-z0-9._:/-'],
      ['x'.repeat(129), `controller "${'x'.repeat(40)}…" must be 1-128 characters of A-Za-z0-9._:/-`],
    ])('refuses %j with 400', (controllers, message) => {
      const error = refusal({ controllers });
      expect(error.statusCode).toBe(400);
      expect(error.message).toBe(message);
    });
  });

  describe('clientId', () => {
    it.each(['clientId', 'clientid', 'ClientId', 'CLIENTID'])('reads the name %s', (name) => {
      expect(parseConnectParams({ [name]: 'dev-7' }, {}).clientId).toBe('dev-7');
    });

    it('takes 1-128 of A-Za-z0-9._:-', () => {
      expect(parseConnectParams({ clientId: 'a.b_c:d-E9' }, {}).clientId).toBe('a.b_c:d-E9');
      expect(parseConnectParams({ clientId: 'x'.repeat(128) }, {}).clientId).toBe('x'.repeat(128));
    });

    it('is absent when empty', () => {
      expect(parseConnectParams({ clientId: '' }, {})).not.toHaveProperty('clientId');
    });

    it.each(['a/b', 'a b', 'x'.repeat(129), 'dév', 'a|b'])('refuses %j with 400', (clientId) => {
      const error = refusal({ clientId });
      expect(error.statusCode).toBe(400);
      expect(error.message).toBe('clientId must be 1-128 characters of A-Za-z0-9._:-');
    });
  });

  describe('session', () => {
    it('is clean by default, persistent when asked, in any case', () => {
      expect(parseConnectParams({ session: 'clean' }, {}).sessionKind).toBe('clean');
      expect(parseConnectParams({ session: 'persistent', clientId: 'dev-7' }, {}).sessionKind).toBe('persistent');
      expect(parseConnectParams({ Session: 'Persistent', clientId: 'dev-7' }, {}).sessionKind).toBe('persistent');
      expect(parseConnectParams({ session: '' }, {}).sessionKind).toBe('clean');
    });

    it('refuses a persistent session without clientId', () => {
      const error = refusal({ session: 'persistent' });
      expect(error.statusCode).toBe(400);
      expect(error.message).toBe('session=persistent needs a clientId');
      expect(refusal({ session: 'persistent', clientId: '' }).message).toBe('session=persistent needs a clientId');
    });

    it.each(['durable', 'true', '1', 'cleanx'])('refuses %j with 400', (session) => {
      const error = refusal({ session, clientId: 'dev-7' });
      expect(error.statusCode).toBe(400);
      expect(error.message).toBe('session must be clean or persistent');
    });
  });

  describe('format', () => {
    it('is json by default, text when asked, in any case', () => {
      expect(parseConnectParams({ format: 'json' }, {}).format).toBe('json');
      expect(parseConnectParams({ format: 'text' }, {}).format).toBe('text');
      expect(parseConnectParams({ FORMAT: 'TEXT' }, {}).format).toBe('text');
    });

    it.each(['xml', 'txt', 'binary'])('refuses %j with 400', (format) => {
      const error = refusal({ format });
      expect(error.statusCode).toBe(400);
      expect(error.message).toBe('format must be json or text');
    });
  });

  describe('token', () => {
    it('comes from the query', () => {
      expect(parseConnectParams({ token: 'abc.def' }, {}).token).toBe('abc.def');
      expect(parseConnectParams({ Token: 'abc' }, {}).token).toBe('abc');
    });

    it('comes from an Authorization: Bearer header, any header case, any scheme case', () => {
      expect(parseConnectParams({}, { Authorization: 'Bearer abc.def-ghi' }).token).toBe('abc.def-ghi');
      expect(parseConnectParams({}, { authorization: 'bearer abc' }).token).toBe('abc');
      expect(parseConnectParams({}, { AUTHORIZATION: 'BEARER  abc  ' }).token).toBe('abc');
    });

    it('ignores other Authorization schemes and an empty bearer', () => {
      expect(parseConnectParams({}, { Authorization: 'Basic dXNlcjpwYXNz' })).not.toHaveProperty('token');
      expect(parseConnectParams({}, { Authorization: 'Bearer ' })).not.toHaveProperty('token');
      expect(parseConnectParams({}, { Authorization: 'Bearer a b' })).not.toHaveProperty('token');
    });

    it('takes both when they agree, refuses both when they disagree', () => {
      expect(parseConnectParams({ token: 'abc' }, { Authorization: 'Bearer abc' }).token).toBe('abc');
      const error = refusal({ token: 'abc' }, { Authorization: 'Bearer xyz' });
      expect(error.statusCode).toBe(400);
      expect(error.message).toBe('token and the Authorization header disagree');
    });
  });

  it('ignores unknown parameters and headers', () => {
    expect(parseConnectParams({ cachebust: '123', foo: 'bar' }, { 'User-Agent': 'x', Host: 'h' })).toEqual(DEFAULTS);
  });

  it('is not fooled by __proto__ or inherited keys', () => {
    const query = JSON.parse('{"__proto__":{"qos":"2"},"constructor":"x"}') as Record<string, string>;
    expect(parseConnectParams(query, {})).toEqual(DEFAULTS);
    const inherited = Object.create({ qos: '2' }) as Record<string, string>;
    expect(parseConnectParams(inherited, {}).claimedQos).toBe(0);
  });

  it('reads everything at once, in the mixed case a hand-typed URL has', () => {
    expect(
      parseConnectParams(
        { QoS: '2', Controllers: 'monitor,sensor', ClientID: 'dev-7', SESSION: 'persistent', Format: 'text' },
        { Authorization: 'Bearer t0k' },
      ),
    ).toEqual({ claimedQos: 2, controllers: ['monitor', 'sensor'], clientId: 'dev-7', sessionKind: 'persistent', format: 'text', token: 't0k' });
  });
});
