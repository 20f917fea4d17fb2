import type { AppDeps } from '../app/deps.js';
import type { ConnectionCache } from '../app/connection-cache.js';
import type { SendResult } from '../app/sender.js';
import type { Action, Command, ConnectionRecord, ServerFrame } from '../core/types.js';

/** What a command handler knows about the frame it answers. */
export interface FrameContext {
  connection: ConnectionRecord;
  now: number;
  /**
   * When the gateway received the frame (requestTimeEpoch; `now` when absent or later), before any
   * wait for a handler: what a client's own timing is judged by, e.g. whether its ack was late.
   */
  receivedAt: number;
  /** Answers the sender, in its format. */
  reply(frame: ServerFrame): Promise<SendResult>;
  /** The container's connection cache (to record controllers a frame opened). */
  cache: ConnectionCache;
}

/** One small handler per action, as aedes has one per packet type. */
export type CommandHandler<A extends Action> = (command: Extract<Command, { action: A }>, context: FrameContext, deps: AppDeps) => Promise<void>;

export type CommandHandlers = { [A in Action]?: CommandHandler<A> };
