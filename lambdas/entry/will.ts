import { createFunction } from './functions.js';

/** Lambda entry for the `Will` function: real clients wired once per container, from its environment. */
export const handler = createFunction('Will', process.env);
