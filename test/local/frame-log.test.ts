import { describe, expect, it } from 'vitest';
import { consoleFrameLog } from '../../local/frame-log.js';
import type { CloseDetail } from '../../local/gateway/index.js';

/** The lines a console frame log writes, without their time stamp. */
function capture() {
  const lines: string[] = [];
  const log = consoleFrameLog((line) => lines.push(line.replace(/^\d\d:\d\d:\d\d\.\d{3} /, '')));
  return { lines, log };
}

const ID = 'AbCdEfGhIjKl=';
const close = (detail: Partial<CloseDetail>): CloseDetail => ({ cause: 'client', query: {}, ...detail });

describe('consoleFrameLog', () => {
  it('logs a frame out exactly as posted: key order kept, 1e999 not turned into null', () => {
    const { lines, log } = capture();
    const posted = '{"type":"message","topic":"t","data":1e999,"qos":1,"id":"m1","controller":"monitor"}';
    log.frameOut(ID, posted);
    expect(lines).toEqual([`Out: AbCdEfGh ${posted}`]);
  });

  it('logs a frame in as sent too, and a text frame with what it means; a long frame is cut and counted', () => {
    const { lines, log } = capture();
    log.frameIn(ID, '{"action":"ping","id":"p1"}');
    log.frameIn(ID, 'monitor|msgack|m1');
    log.frameIn(ID, `{"data":"${'x'.repeat(400)}"}`);
    expect(lines[0]).toBe('In:  AbCdEfGh {"action":"ping","id":"p1"}');
    expect(lines[1]).toMatch(/^In: {2}AbCdEfGh monitor\|msgack\|m1 {2}\{"action":"msgack".*"ids":\["m1"\]/);
    expect(lines[2]).toMatch(/^In: {2}AbCdEfGh \{"data":"x+\.\.\. \(411 characters\)$/);
  });

  it('logs connects and refusals with the reason the client got, the token hidden', () => {
    const { lines, log } = capture();
    log.connected!(ID, { sourceIp: '127.0.0.1' }, { query: { clientId: 'dev-7', token: 'eyJsecret' } });
    log.refused!({ connectionId: ID, statusCode: 400, body: 'unknown controller: nope', by: '$connect', query: { controllers: 'nope' } });
    log.refused!({ statusCode: 401, body: '{"message":"Unauthorized"}', by: 'authorizer', query: {} });
    expect(lines).toEqual([
      'Connected:    AbCdEfGh ?clientId=dev-7&token=*** from 127.0.0.1',
      'Refused:      AbCdEfGh 400 unknown controller: nope (by $connect) ?controllers=nope',
      'Refused:      - 401 {"message":"Unauthorized"} (by the authorizer) (no query)',
    ]);
    expect(lines.join('\n')).not.toContain('eyJsecret');
  });

  it('says why a connection closed: by the client, 1009, 1003, idle, 2 h, a handler, shutdown', () => {
    const { lines, log } = capture();
    log.disconnected!(ID, { statusCode: 1000, reason: '' }, close({ cause: 'client' }));
    log.disconnected!(ID, { statusCode: 1009, reason: 'Frame size exceeds 32 KB limit' }, close({ cause: 'frameTooLarge' }));
    log.disconnected!(ID, { statusCode: 1003, reason: 'Binary frames are not supported' }, close({ cause: 'binaryFrame' }));
    log.disconnected!(ID, { statusCode: 1001, reason: 'Going away' }, close({ cause: 'idle', limitMs: 600_000 }));
    log.disconnected!(ID, { statusCode: 1001, reason: 'Going away' }, close({ cause: 'maxDuration', limitMs: 7_200_000 }));
    log.disconnected!(ID, { statusCode: 1000, reason: 'Connection Closed Normally' }, close({ cause: 'deleted' }));
    log.disconnected!(ID, { statusCode: 1001, reason: 'Going away' }, close({ cause: 'shutdown' }));
    expect(lines).toEqual([
      'Disconnected: AbCdEfGh 1000: closed by the client',
      "Disconnected: AbCdEfGh 1009 Frame size exceeds 32 KB limit: closed by the gateway: a frame over API Gateway's 32 KB limit",
      'Disconnected: AbCdEfGh 1003 Binary frames are not supported: closed by the gateway: a binary frame (API Gateway takes text frames only)',
      "Disconnected: AbCdEfGh 1001 Going away: closed by the gateway: idle for 10 min (API Gateway's idle timeout)",
      "Disconnected: AbCdEfGh 1001 Going away: closed by the gateway: open for 2 h (API Gateway's connection duration limit)",
      'Disconnected: AbCdEfGh 1000 Connection Closed Normally: closed by a handler (DELETE @connections)',
      'Disconnected: AbCdEfGh 1001 Going away: the runtime is stopping',
    ]);
  });

  it('names a takeover: closed by the $connect of a new connection with the same clientId (any case of the name)', () => {
    const { lines, log } = capture();
    const detail = close({ cause: 'deleted', query: { clientId: 'dev-7' }, deletedDuringConnectOf: [{ connectionId: 'Other1', query: { clientId: 'x' } }, { connectionId: 'NewOne12345=', query: { CLIENTID: 'dev-7' } }] });
    log.disconnected!(ID, { statusCode: 1000, reason: 'Connection Closed Normally' }, detail);
    // A DELETE while only other clientIds connect is no takeover.
    log.disconnected!(ID, { statusCode: 1000, reason: 'Connection Closed Normally' }, close({ cause: 'deleted', query: { clientId: 'dev-7' }, deletedDuringConnectOf: [{ connectionId: 'Other1', query: { clientId: 'x' } }] }));
    expect(lines).toEqual([
      'Takeover:     AbCdEfGh closed (1000): clientId dev-7 connected again as NewOne12',
      'Disconnected: AbCdEfGh 1000 Connection Closed Normally: closed by a handler (DELETE @connections)',
    ]);
  });
});
