/**
 * Called on every AWS SDK client the wiring creates, before the function uses it; returns the
 * client to use (usually the same one, with middleware added). A plain function type, so a host
 * can instrument clients without lambdas/ knowing about it.
 */
export type SdkClientHook = <C extends { middlewareStack: object }>(client: C) => C;

/** The hook of a host that passes none. */
export const asIs: SdkClientHook = (client) => client;
