import type { ErrorCode, ServerFrame } from './types.js';

/**
 * A client mistake, answered with an error frame (PROTOCOL §3). Handlers map it to a frame;
 * it never reaches API Gateway as an unhandled error, and its message is written for people.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The action of the frame that failed, when it was readable. */
    readonly action?: string,
    /** The id of the frame that failed, when it was readable. */
    readonly id?: string,
  ) {
    super(message);
  }

  /** The same error, now knowing which frame it answers. */
  about(action: string | undefined, id: string | undefined): ProtocolError {
    return new ProtocolError(this.code, this.message, this.action ?? action, this.id ?? id);
  }

  toFrame(): Extract<ServerFrame, { type: 'error' }> {
    return {
      type: 'error',
      code: this.code,
      message: this.message,
      ...(this.action !== undefined ? { action: this.action } : {}),
      ...(this.id !== undefined ? { id: this.id } : {}),
    };
  }
}

/** A handshake that must be refused with an HTTP status (PROTOCOL §1: 400, 401, 403; 409 a takeover while connecting). */
export class HandshakeError extends Error {
  override readonly name = 'HandshakeError';

  constructor(
    readonly statusCode: 400 | 401 | 403 | 409,
    message: string,
  ) {
    super(message);
  }
}
