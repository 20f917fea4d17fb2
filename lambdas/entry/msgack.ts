import { createFunction } from './functions.js';

/** Lambda entry for the `Msgack` function: real clients wired once per container, from its environment. */
export const handler = createFunction('Msgack', process.env);
