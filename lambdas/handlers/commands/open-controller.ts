import type { AppDeps } from '../../app/deps.js';
import type { FrameContext } from '../frame-context.js';

/**
 * PROTOCOL §1: "sending a frame to a controller opens it too". Checks that the controller
 * exists (UNKNOWN_CONTROLLER otherwise) and opens it for this connection once.
 */
export async function openController(controller: string, context: FrameContext, deps: AppDeps): Promise<void> {
  deps.controllers.get(controller);
  if (context.connection.controllers.includes(controller)) return;
  await deps.stores.connections.openControllers(context.connection, [controller]);
  context.connection = { ...context.connection, controllers: [...context.connection.controllers, controller] };
  context.cache.remember(context.connection);
}
