import { createRouteFunction } from './route-function.js';

/** Lambda entry for the `Connect` function: real clients wired once per container, from its environment. */
export const handler = createRouteFunction('Connect', process.env);
