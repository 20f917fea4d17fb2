import { createAuthorizerFunction } from './authorizer-function.js';

/** Lambda entry for the `Authorizer` function ($connect REQUEST authorizer): wired once per container, from its environment. */
export const handler = createAuthorizerFunction(process.env);
