/**
 * Route selection as API Gateway does it for WebSocket APIs: the route selection expression
 * (`$request.body.action`, or `${request.body.service}/${request.body.action}`) is evaluated
 * against the JSON body of each message. A body that is not JSON, an expression that does not
 * evaluate, or a key with no route of its own goes to `$default`; with no `$default` either,
 * API Gateway answers with an error frame (see `errors.ts`).
 * "Non-JSON messages are directed to a $default route"; an expression that cannot be evaluated
 * or a value with no matching route also selects `$default`, and with no `$default` the service
 * returns an error:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html
 */

/** `$default`: the route for whatever matches no other route. */
export const DEFAULT_ROUTE = '$default';

/** The routes a client can never select by message: they belong to the connection's lifecycle. */
const LIFECYCLE_ROUTES = new Set(['$connect', '$disconnect']);

/**
 * The route key a message selects, or `undefined` when the expression cannot be evaluated
 * against it (not JSON, a missing property, a `null`). Selected values are stringified, as the
 * docs say ("the result will be stringified": `5` selects route `5`).
 */
export function evaluateSelectionExpression(expression: string, body: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  // A bare variable (`$request.body.action`) is the same as the wrapped `${request.body.action}`.
  const template = /^\$request\.body[.[]/.test(expression) ? `\${${expression.slice(1)}}` : expression;
  let missing = false;
  const key = template.replace(/\$\{request\.body([.[][^}]*)\}/g, (_match, path: string) => {
    const value = readPath(json, path);
    if (value === undefined || value === null) {
      missing = true;
      return '';
    }
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
  return missing ? undefined : key;
}

/**
 * The route a message goes to: the selected key when a route has it, else `$default` when that
 * exists, else `undefined` (the client gets the Forbidden error frame).
 */
export function selectRoute<T>(expression: string, body: string, routes: ReadonlyMap<string, T>): { routeKey: string; target: T } | undefined {
  const key = evaluateSelectionExpression(expression, body);
  if (key !== undefined && !LIFECYCLE_ROUTES.has(key)) {
    const target = routes.get(key);
    if (target !== undefined) return { routeKey: key, target };
  }
  const fallback = routes.get(DEFAULT_ROUTE);
  return fallback === undefined ? undefined : { routeKey: DEFAULT_ROUTE, target: fallback };
}

/** Reads a dotted JSONPath-like path (`a.b.c`, `a[0].b`, `['a b']`) from parsed JSON. */
function readPath(root: unknown, path: string): unknown {
  const segments: string[] = [];
  const pattern = /\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]|([^.[\]]+)/g;
  for (const match of path.matchAll(pattern)) {
    segments.push(match[1] ?? match[2] ?? match[3] ?? match[4] ?? '');
  }
  let value: unknown = root;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}
