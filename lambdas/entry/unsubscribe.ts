import { createFunction } from './functions.js';

/** Lambda entry for the `Unsubscribe` function: real clients wired once per container, from its environment. */
export const handler = createFunction('Unsubscribe', process.env);
