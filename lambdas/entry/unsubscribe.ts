import { createRouteFunction } from './route-function.js';

/** Lambda entry for the `Unsubscribe` function: real clients wired once per container, from its environment. */
export const handler = createRouteFunction('Unsubscribe', process.env);
