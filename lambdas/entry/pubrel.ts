import { createFunction } from './functions.js';

/** Lambda entry for the `Pubrel` function: real clients wired once per container, from its environment. */
export const handler = createFunction('Pubrel', process.env);
