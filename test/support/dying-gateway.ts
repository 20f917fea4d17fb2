import type { ConnectionGateway } from '../../lambdas/ports/connection-gateway.js';

/**
 * What a Lambda killed in the middle of a fan-out looks like from outside: its posts stop and it
 * never returns. Posts after the first `okPosts` hang forever; `died` resolves at the first of
 * them (with `settleFirst`, on the next turn of the event loop, so the caller's other work of
 * that turn runs first, as a worker dying between two awaits would have done it).
 */
export function dyingGateway(real: ConnectionGateway, okPosts: number, settleFirst = false): ConnectionGateway & { died: Promise<void> } {
  let posts = 0;
  let die: () => void = () => {};
  const died = new Promise<void>((resolve) => (die = resolve));
  return {
    died,
    post: (connectionId, frame) => {
      if (++posts <= okPosts) return real.post(connectionId, frame);
      if (settleFirst) setImmediate(die);
      else die();
      return new Promise<never>(() => {});
    },
    disconnect: (connectionId) => real.disconnect(connectionId),
    isOpen: (connectionId) => real.isOpen(connectionId),
  };
}
