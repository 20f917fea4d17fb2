/** The tests take free ports the way the local runtime does. */
export { freePort } from '../../local/free-port.js';
