import { ProtocolError } from '../errors.js';
import { PRESENCE_CONTROLLER } from '../presence.js';
import { defineController, type Controller } from './controller.js';
import { monitor } from './monitor.js';
import { sensor } from './sensor.js';

/**
 * The server's presence controller (PROTOCOL §9): no methods, so what the server publishes on it
 * goes to its subscribers. Frames cannot publish to it (parse-frame.ts refuses `$` controllers).
 */
const presence = defineController(PRESENCE_CONTROLLER);

/** The controllers a deployment serves, by name, and the server's own `$presence`. */
export class ControllerRegistry {
  private readonly byName: ReadonlyMap<string, Controller>;

  constructor(controllers: Controller[]) {
    // PROTOCOL §9: names starting with `$` are the server's.
    const reserved = controllers.filter((c) => c.name.startsWith('$'));
    if (reserved.length > 0) throw new Error(`controller names cannot start with $ (PROTOCOL §9): ${reserved.map((c) => c.name).join(', ')}`);
    this.byName = new Map([...controllers, presence].map((c) => [c.name, c]));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The controller, or UNKNOWN_CONTROLLER (PROTOCOL §3). */
  get(name: string): Controller {
    const controller = this.byName.get(name);
    if (!controller) throw new ProtocolError('UNKNOWN_CONTROLLER', `no controller named "${name}"`);
    return controller;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}

/** The sample controllers of the seed. */
export const sampleControllers = new ControllerRegistry([sensor, monitor]);
