import type { PendingEntry } from '../../lambdas/core/types.js';
import type { Stores } from '../../lambdas/ports/index.js';

/**
 * Stores with a known race put back, so a test can check that the explorer still finds that
 * kind of race once the real code is fixed (mutation testing of the explorer itself). Each mutant
 * changes one conditional write into the unconditional one it replaced; on code that never had
 * the condition (the method does not exist), the store is left as it is.
 */

/**
 * Issue 12 A: a hand-on's conditional put (`putAbsent`) stores every entry, as `putMany` does,
 * so a re-run overwrites recipients that answered pubrec and brings back completed ones.
 */
export function rerunOverwrites(stores: Stores): Stores {
  const pending = stores.pending as Stores['pending'] & { putAbsent?: unknown };
  if (typeof pending.putAbsent !== 'function') return stores;
  const putAbsent = async (entries: PendingEntry[]) => {
    await stores.pending.putMany(entries);
    return { stored: entries, existing: [] };
  };
  return { ...stores, pending: withMethod(stores.pending, 'putAbsent', putAbsent) };
}

/**
 * Issue 12 C: a cleanup's conditional detach of a session's subscriptions (`detach(session,
 * connection)`, only those still pointing at the ending connection) detaches them all, as
 * `attach(session, undefined)` did, whoever serves the session now.
 */
export function cleanupDetachesAll(stores: Stores): Stores {
  const subscriptions = stores.subscriptions as Stores['subscriptions'] & { detach?: unknown };
  if (typeof subscriptions.detach !== 'function') return stores;
  const detach = (sessionId: string, _connectionId: string, expiresAt: number, now: number) => stores.subscriptions.attach(sessionId, undefined, expiresAt, now);
  return { ...stores, subscriptions: withMethod(stores.subscriptions, 'detach', detach) };
}

/** The store with one method replaced (the others still called on the real store). */
function withMethod<T extends object>(store: T, name: string, method: (...args: never[]) => unknown): T {
  return new Proxy(store, {
    get(real, prop, receiver) {
      if (prop === name) return method;
      const value: unknown = Reflect.get(real, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(real) : value;
    },
  });
}
