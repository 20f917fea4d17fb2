import { readSweep } from '../config.js';
import { createResendHandler } from '../handlers/resend.js';
import { routeById } from './route-by-id.js';
import { productionDeps } from './wiring.js';

/** Lambda entry for the scheduled resend sweep. */
export const handler = createResendHandler(productionDeps(routeById('Resend')), readSweep(process.env));
