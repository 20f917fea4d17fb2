import { createRouteFunction } from './route-function.js';

/** Lambda entry for the `Publish` function: real clients wired once per container, from its environment. */
export const handler = createRouteFunction('Publish', process.env);
