/**
 * Forces the order of concurrent handler invocations by holding one store call: the wrapped
 * method runs for real, then (for the first call that `when` picks) waits until the test
 * releases it. What the call returned is only handed back after the release, so whatever the
 * caller does next happens after everything the test ran meanwhile.
 */
export interface HeldCall {
  /** Resolves once the held call has run and is waiting. */
  reached: Promise<void>;
  /** Lets the held call return. */
  release: () => void;
  /** Puts the method back as it was. */
  restore: () => void;
}

type AnyMethod = (...args: never[]) => Promise<unknown>;

export function holdAfter<T extends object, K extends keyof T>(
  target: T,
  method: K,
  when: (...args: T[K] extends (...args: infer A) => unknown ? A : never) => boolean = () => true,
): HeldCall {
  const original = target[method] as unknown as AnyMethod;
  const own = Object.prototype.hasOwnProperty.call(target, method);
  let reached!: () => void;
  let release!: () => void;
  const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = false;
  const wrapper = async (...args: never[]): Promise<unknown> => {
    const result = await original.apply(target, args);
    if (!held && (when as unknown as (...a: never[]) => boolean)(...args)) {
      held = true;
      reached();
      await released;
    }
    return result;
  };
  (target as Record<K, unknown>)[method] = wrapper;
  const restore = (): void => {
    if (own) (target as Record<K, unknown>)[method] = original;
    else delete (target as Record<K, unknown>)[method];
  };
  return { reached: reachedPromise, release, restore };
}
