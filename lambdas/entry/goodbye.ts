import { createRouteFunction } from './route-function.js';

/** Lambda entry for the `Goodbye` function (the `disconnect` action): real clients wired once per container, from its environment. */
export const handler = createRouteFunction('Goodbye', process.env);
