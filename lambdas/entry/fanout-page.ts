import { createFanoutPageFunction } from './fanout-page-function.js';

/** Lambda entry for the `FanoutPage` function: real clients wired once per container, from its environment. */
export const handler = createFanoutPageFunction(process.env);
