import { createFunction } from './functions.js';

/** Lambda entry for the `Goodbye` function (the `disconnect` action): real clients wired once per container, from its environment. */
export const handler = createFunction('Goodbye', process.env);
