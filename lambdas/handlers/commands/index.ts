import type { CommandHandlers } from '../frame-context.js';
import { disconnect } from './disconnect.js';
import { history } from './history.js';
import { msgack } from './msgack.js';
import { ping } from './ping.js';
import { publish } from './publish.js';
import { pubrec } from './pubrec.js';
import { pubrel } from './pubrel.js';
import { resume } from './resume.js';
import { subscribe } from './subscribe.js';
import { unsubscribe } from './unsubscribe.js';
import { will } from './will.js';

/** Every action's handler: the $default route (text frames) dispatches to all of them. */
export const ALL_COMMANDS: Required<CommandHandlers> = { publish, msgack, pubrec, pubrel, subscribe, unsubscribe, resume, ping, will, disconnect, history };

export { disconnect, history, msgack, ping, publish, pubrec, pubrel, resume, subscribe, unsubscribe, will };
