import { ProtocolError } from '../errors.js';
import type { Action, Command, ConnectParams } from '../types.js';

/**
 * What a verified token allows (PROTOCOL §1 "token", §3 `FORBIDDEN`): pure rules, no crypto.
 * The token's signature, expiry, issuer and audience are checked by a TokenVerifier adapter;
 * this module reads the verified claims and decides.
 *
 *   handshake:  token missing or bad -> 401   (the verifier / authorizer)
 *               clientId claim != query clientId, or a query controller not granted -> 403
 *   frame:      publish / will / subscribe / unsubscribe / history on a controller or action not granted
 *               -> FORBIDDEN error frame, nothing changes
 *
 * With auth off there are no grants (`undefined`) and nothing is enforced.
 */

/** The actions a token may grant. `unsubscribe` goes with `subscribe`. */
export const GRANTABLE_ACTIONS = ['publish', 'subscribe'] as const;
export type GrantableAction = (typeof GRANTABLE_ACTIONS)[number];

/** `controllers: "*"` (or `["*"]`) grants every controller. */
export const ANY_CONTROLLER = '*';

/** What one connection may do, read from its token's claims. */
export interface Grants {
  /** The client id the token is bound to: no other may be used with it. */
  clientId: string;
  /** Controllers it may open, publish to and subscribe on; `['*']` for all. */
  controllers: string[];
  actions: GrantableAction[];
}

/**
 * Reads the grants from verified claims:
 * - clientId: `clientId`, else `client_id` (a Cognito access token of the client-credentials
 *   flow), else `sub`;
 * - controllers and actions: `controllers` / `actions`, or Cognito's custom attributes
 *   `custom:controllers` / `custom:actions`; each a JSON array of strings or a string listed
 *   with commas or spaces.
 * Returns a reason instead when the claims cannot be read (the caller answers 401: a token
 * that grants nothing readable is not a valid qosgate token).
 */
export function grantsFromClaims(claims: Record<string, unknown>): Grants | { invalid: string } {
  const clientId = firstString(claims, ['clientId', 'client_id', 'sub']);
  if (clientId === undefined) return { invalid: 'the token names no client (clientId, client_id or sub)' };
  const controllers = stringList(claims.controllers ?? claims['custom:controllers']);
  if (controllers === undefined) return { invalid: 'the token lists no controllers' };
  const actions = stringList(claims.actions ?? claims['custom:actions']);
  if (actions === undefined) return { invalid: 'the token lists no actions' };
  const unknown = actions.filter((a) => !(GRANTABLE_ACTIONS as readonly string[]).includes(a));
  if (unknown.length > 0) return { invalid: `the token lists unknown actions: ${unknown.join(', ')}` };
  return { clientId, controllers, actions: actions as GrantableAction[] };
}

/** The handshake check: whether these grants allow this connection (else 403). */
export function checkConnect(grants: Grants, params: Pick<ConnectParams, 'clientId' | 'controllers' | 'will'>): { allowed: true } | { allowed: false; reason: string } {
  // (choice) No clientId in the query is allowed: the session is then keyed by the connection
  // id, which reaches nobody else's session. A clientId must be the token's own.
  if (params.clientId !== undefined && params.clientId !== grants.clientId) {
    return { allowed: false, reason: `clientId ${params.clientId} is not the token's (${grants.clientId})` };
  }
  const denied = params.controllers.filter((c) => !mayUseController(grants, c));
  if (denied.length > 0) return { allowed: false, reason: `the token does not grant controller${denied.length > 1 ? 's' : ''} ${denied.join(', ')}` };
  // PROTOCOL §9: a will is published as the client's own publish, so it needs what that would.
  const { will } = params;
  if (will !== undefined && !grants.actions.includes('publish')) return { allowed: false, reason: 'the token does not grant publish, which a will needs' };
  if (will !== undefined && !mayUseController(grants, will.controller)) return { allowed: false, reason: `the token does not grant controller ${will.controller} (the will's)` };
  return { allowed: true };
}

export function mayUseController(grants: Pick<Grants, 'controllers'>, controller: string): boolean {
  return grants.controllers.includes(ANY_CONTROLLER) || grants.controllers.includes(controller);
}

/**
 * The per-frame check: throws ProtocolError FORBIDDEN when the command needs an action or a
 * controller the grants do not have. The QoS steps (msgack, pubrec, pubrel), resume and ping
 * act only on the connection's own session and need no grant; `pubrel` releases a publish
 * that was checked when it came in.
 */
export function checkCommand(grants: Pick<Grants, 'controllers' | 'actions'> | undefined, command: Command): void {
  if (grants === undefined) return;
  const needed = neededAction(command.action);
  // A will is checked as the publish it becomes (PROTOCOL §9); clearing one needs nothing.
  const controller = command.action === 'will' ? command.will?.controller : 'controller' in command ? command.controller : undefined;
  // A batched publish (PROTOCOL §2 `messages`) needs the right to every message's controller.
  const batch = 'messages' in command ? command.messages : undefined;
  if (needed === undefined || (controller === undefined && batch === undefined)) return;
  const id = 'id' in command ? command.id : undefined;
  if (!grants.actions.includes(needed)) throw new ProtocolError('FORBIDDEN', `this connection may not ${needed}${command.action === 'will' ? ' (a will is published as its own publish)' : ''}`, command.action, id);
  if (controller !== undefined && !mayUseController(grants, controller)) {
    throw new ProtocolError('FORBIDDEN', `this connection may not use controller ${controller}`, command.action, id);
  }
  batch?.forEach((message, index) => {
    if (!mayUseController(grants, message.controller)) {
      throw new ProtocolError('FORBIDDEN', `messages[${index}]: this connection may not use controller ${message.controller}`, command.action, id);
    }
  });
}

function neededAction(action: Action): GrantableAction | undefined {
  if (action === 'publish' || action === 'will') return 'publish';
  // PROTOCOL §10: reading history needs the subscribe right on the controller.
  if (action === 'subscribe' || action === 'unsubscribe' || action === 'history') return 'subscribe';
  return undefined;
}

/**
 * API Gateway passes an authorizer's `context` to every event of the connection, but only
 * strings, numbers and booleans: the lists travel comma-joined (names cannot hold a comma).
 */
export interface GrantsContext {
  clientId: string;
  controllers: string;
  actions: string;
}

export function grantsToContext(grants: Grants): GrantsContext {
  return { clientId: grants.clientId, controllers: grants.controllers.join(','), actions: grants.actions.join(',') };
}

/**
 * The grants from an event's `requestContext.authorizer`; `undefined` when there is none (auth
 * off), so nothing is enforced. An authorizer context without the fields grants nothing
 * (fail closed: only an authorizer puts `authorizer` on an event).
 */
export function grantsFromContext(authorizer: Record<string, unknown> | null | undefined): Grants | undefined {
  if (authorizer === null || authorizer === undefined) return undefined;
  const { clientId, controllers, actions } = authorizer;
  return {
    clientId: typeof clientId === 'string' ? clientId : '',
    controllers: splitList(typeof controllers === 'string' ? controllers : ''),
    actions: splitList(typeof actions === 'string' ? actions : '').filter((a): a is GrantableAction => (GRANTABLE_ACTIONS as readonly string[]).includes(a)),
  };
}

function firstString(claims: Record<string, unknown>, names: string[]): string | undefined {
  for (const name of names) {
    const value = claims[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return splitList(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return [...new Set(value.map((v) => v.trim()).filter((v) => v !== ''))];
  return undefined;
}

function splitList(value: string): string[] {
  return [...new Set(value.split(/[,\s]+/).filter((v) => v !== ''))];
}
