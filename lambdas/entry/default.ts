import { ALL_COMMANDS } from '../handlers/commands/index.js';
import { createFrameHandler } from '../handlers/frame-handler.js';
import { routeById } from './route-by-id.js';
import { productionDeps } from './wiring.js';

/**
 * Lambda entry for `$default`: text frames (PROTOCOL §6) carry any action, and a JSON frame
 * with an unknown action lands here and is answered UNKNOWN_ACTION.
 */
export const handler = createFrameHandler(productionDeps(routeById('Default')), ALL_COMMANDS);
