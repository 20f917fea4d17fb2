import { createSinkFunction } from './sink-function.js';

/** Lambda entry for the `Sink` function: real clients wired once per container, from its environment. */
export const handler = createSinkFunction(process.env);
