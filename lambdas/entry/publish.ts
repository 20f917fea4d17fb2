import { createFunction } from './functions.js';

/** Lambda entry for the `Publish` function: real clients wired once per container, from its environment. */
export const handler = createFunction('Publish', process.env);
