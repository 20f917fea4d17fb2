import { createRouteFunction } from './route-function.js';

/** Lambda entry for the `Ping` function: real clients wired once per container, from its environment. */
export const handler = createRouteFunction('Ping', process.env);
