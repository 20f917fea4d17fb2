import { createRouteFunction } from './route-function.js';

/** Lambda entry for the `Disconnect` function: real clients wired once per container, from its environment. */
export const handler = createRouteFunction('Disconnect', process.env);
