import { createFunction } from './functions.js';

/** Lambda entry for the `Ping` function: real clients wired once per container, from its environment. */
export const handler = createFunction('Ping', process.env);
