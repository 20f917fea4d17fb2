import { createRouteFunction } from './route-function.js';

/** Lambda entry for the `Pubrel` function: real clients wired once per container, from its environment. */
export const handler = createRouteFunction('Pubrel', process.env);
