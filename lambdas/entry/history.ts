import { createRouteFunction } from './route-function.js';

/** Lambda entry for the `History` function: real clients wired once per container, from its environment. */
export const handler = createRouteFunction('History', process.env);
