import { createFrameHandler } from '../handlers/frame-handler.js';
import { msgack } from '../handlers/commands/index.js';
import { routeById } from './route-by-id.js';
import { productionDeps } from './wiring.js';

/** Lambda entry for the `msgack` route: real clients wired once per container. */
export const handler = createFrameHandler(productionDeps(routeById('Msgack')), { msgack });
