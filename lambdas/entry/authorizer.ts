import { createFunction } from './functions.js';

/** Lambda entry for the `Authorizer` function ($connect REQUEST authorizer): wired once per container, from its environment. */
export const handler = createFunction('Authorizer', process.env);
