import { createFunction } from './functions.js';

/** Lambda entry for the `Connect` function: real clients wired once per container, from its environment. */
export const handler = createFunction('Connect', process.env);
