import { createRouteFunction } from './route-function.js';

/** Lambda entry for the `Resume` function: real clients wired once per container, from its environment. */
export const handler = createRouteFunction('Resume', process.env);
