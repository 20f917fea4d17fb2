import { createFunction } from './functions.js';

/** Lambda entry for the `Resend` function: real clients wired once per container, from its environment. */
export const handler = createFunction('Resend', process.env);
