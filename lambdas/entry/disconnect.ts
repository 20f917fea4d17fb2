import { createFunction } from './functions.js';

/** Lambda entry for the `Disconnect` function: real clients wired once per container, from its environment. */
export const handler = createFunction('Disconnect', process.env);
