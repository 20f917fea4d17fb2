import { createFunction } from './functions.js';

/** Lambda entry for the `Resume` function: real clients wired once per container, from its environment. */
export const handler = createFunction('Resume', process.env);
