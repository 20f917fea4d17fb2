import { createRouteFunction } from './route-function.js';

/** Lambda entry for the `Pubrec` function: real clients wired once per container, from its environment. */
export const handler = createRouteFunction('Pubrec', process.env);
