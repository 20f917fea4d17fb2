import { RESEND, ROUTES, type RouteSpec } from '../routes.js';

/** The route table's entry for a function id (fails at cold start if the table lost it). */
export function routeById(id: string): Pick<RouteSpec, 'tables' | 'id'> {
  const route = id === RESEND.id ? RESEND : ROUTES.find((r) => r.id === id);
  if (!route) throw new Error(`qosgate: no route with id ${id}`);
  return route;
}
