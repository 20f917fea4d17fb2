import { createRouteFunction } from './route-function.js';

/** Lambda entry for the `Subscribe` function: real clients wired once per container, from its environment. */
export const handler = createRouteFunction('Subscribe', process.env);
