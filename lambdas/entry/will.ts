import { createRouteFunction } from './route-function.js';

/** Lambda entry for the `Will` function: real clients wired once per container, from its environment. */
export const handler = createRouteFunction('Will', process.env);
