import { createDisconnectHandler } from '../handlers/disconnect.js';
import { routeById } from './route-by-id.js';
import { productionDeps } from './wiring.js';

/** Lambda entry for `$disconnect`. */
export const handler = createDisconnectHandler(productionDeps(routeById('Disconnect')));
