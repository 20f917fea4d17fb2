import { describe, expect, it } from 'vitest';
import { evaluateSelectionExpression, selectRoute } from '../../../local/gateway/route-selection.js';

// https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html

describe('evaluateSelectionExpression', () => {
  const body = '{"service":"chat","action":"join","data":{"room":"room1234","n":5,"ok":true,"list":[1,2]}}';

  it.each([
    ['$request.body.action', 'join'],
    ['${request.body.action}', 'join'],
    ['${request.body.service}/${request.body.action}', 'chat/join'],
    ['$request.body.data.room', 'room1234'],
    ['$request.body.data.n', '5'],
    ['$request.body.data.ok', 'true'],
    ['$request.body.data.list[1]', '2'],
    ["$request.body['service']", 'chat'],
  ])('%s evaluates to %s', (expression, expected) => {
    expect(evaluateSelectionExpression(expression, body)).toBe(expected);
  });

  it.each([
    ['not json', 'sensor|temp|25.3'],
    ['a missing property', '{"topic":"t"}'],
    ['a null', '{"action":null}'],
    ['a string body', '"publish"'],
    ['an inherited property', '{}'],
  ])('cannot be evaluated against %s', (_what, text) => {
    expect(evaluateSelectionExpression(text === '{}' ? '$request.body.constructor' : '$request.body.action', text)).toBeUndefined();
  });
});

describe('selectRoute', () => {
  const table = new Map([
    ['publish', 'P'],
    ['$default', 'D'],
  ]);

  it('picks the selected route, else $default', () => {
    expect(selectRoute('$request.body.action', '{"action":"publish"}', table)).toEqual({ routeKey: 'publish', target: 'P' });
    expect(selectRoute('$request.body.action', '{"action":"other"}', table)).toEqual({ routeKey: '$default', target: 'D' });
    expect(selectRoute('$request.body.action', 'plain text', table)).toEqual({ routeKey: '$default', target: 'D' });
  });

  it('never lets a message select $connect or $disconnect', () => {
    const lifecycle = new Map([
      ['$connect', 'C'],
      ['$disconnect', 'X'],
    ]);
    expect(selectRoute('$request.body.action', '{"action":"$connect"}', lifecycle)).toBeUndefined();
    expect(selectRoute('$request.body.action', '{"action":"$disconnect"}', new Map([...lifecycle, ['$default', 'D']]))).toEqual({ routeKey: '$default', target: 'D' });
  });

  it('finds nothing without a match or a $default', () => {
    expect(selectRoute('$request.body.action', '{"action":"other"}', new Map([['publish', 'P']]))).toBeUndefined();
  });
});
