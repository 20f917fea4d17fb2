import { createFunction } from './functions.js';

/** Lambda entry for the `Default` function: real clients wired once per container, from its environment. */
export const handler = createFunction('Default', process.env);
