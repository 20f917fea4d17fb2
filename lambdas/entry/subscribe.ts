import { createFunction } from './functions.js';

/** Lambda entry for the `Subscribe` function: real clients wired once per container, from its environment. */
export const handler = createFunction('Subscribe', process.env);
