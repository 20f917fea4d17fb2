/**
 * The id provider port for the client's own QoS 1/2 publishes (PROTOCOL §2: 1-64 chars,
 * unique among the client's unfinished publishes).
 */
export interface IdProvider {
  next(): string;
}

/**
 * `c-<random>-<counter>`: the random part differs per process, so ids a persistent outbox
 * kept from an earlier run (file outbox) never collide with the new run's.
 */
export function createIdProvider(random: () => number = Math.random): IdProvider {
  const prefix = Math.floor(random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0');
  let counter = 0;
  return { next: () => `c-${prefix}-${(++counter).toString(36)}` };
}
