import { createConnectHandler } from '../handlers/connect.js';
import { routeById } from './route-by-id.js';
import { productionDeps } from './wiring.js';

/** Lambda entry for `$connect`. */
export const handler = createConnectHandler(productionDeps(routeById('Connect')));
