import { ProtocolError } from '../errors.js';
import type { Controller } from './controller.js';
import { monitor } from './monitor.js';
import { sensor } from './sensor.js';

/** The controllers a deployment serves, by name. */
export class ControllerRegistry {
  private readonly byName: ReadonlyMap<string, Controller>;

  constructor(controllers: Controller[]) {
    this.byName = new Map(controllers.map((c) => [c.name, c]));
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
