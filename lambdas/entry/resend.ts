import { createResendFunction } from './resend-function.js';

/** Lambda entry for the `Resend` function: real clients wired once per container, from its environment. */
export const handler = createResendFunction(process.env);
