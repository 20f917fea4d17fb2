import { defineController } from './controller.js';

/** The seed's Monitor: no methods; monitoring clients open it to be invoked. */
export const monitor = defineController('monitor');
