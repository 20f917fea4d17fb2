import { ProtocolError } from '../errors.js';
import { QoS } from '../types.js';
import { defineController } from './controller.js';

/**
 * The seed's Sensor: `temp` hands the reading to every Monitor connection at least once
 * (`InvokeToAll<Monitor>(t, "temp", QoS.AtLeastOnce)`).
 */
export const sensor = defineController('sensor', {
  temp(t, context) {
    // The seed's method takes a double; a reading that is not a number is the sender's mistake.
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new ProtocolError('BAD_REQUEST', 'temp must be a number');
    context.invokeToAll('monitor', 'temp', t, QoS.AtLeastOnce);
  },
});
