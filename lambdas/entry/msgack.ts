import { createRouteFunction } from './route-function.js';

/** Lambda entry for the `Msgack` function: real clients wired once per container, from its environment. */
export const handler = createRouteFunction('Msgack', process.env);
