import { createRouteFunction } from './route-function.js';

/** Lambda entry for the `Default` function: real clients wired once per container, from its environment. */
export const handler = createRouteFunction('Default', process.env);
