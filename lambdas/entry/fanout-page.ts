import { createFunction } from './functions.js';

/** Lambda entry for the `FanoutPage` function: real clients wired once per container, from its environment. */
export const handler = createFunction('FanoutPage', process.env);
