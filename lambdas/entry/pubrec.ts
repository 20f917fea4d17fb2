import { createFunction } from './functions.js';

/** Lambda entry for the `Pubrec` function: real clients wired once per container, from its environment. */
export const handler = createFunction('Pubrec', process.env);
