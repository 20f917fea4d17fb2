import type { ErrorCode } from './frames.js';

/** The base of every error the client raises: a stable `code`, a message for people, a `cause`. */
export class QosgateClientError extends Error {
  override readonly name: string = 'QosgateClientError';
  constructor(
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Codes the client itself raises (the server's are PROTOCOL §3's). */
export type ClientErrorCode = 'CONNECT_FAILED' | 'CLIENT_CLOSED' | 'NOT_CONNECTED' | 'HANDLER_FAILED';

/**
 * The server refused a frame: an `error` frame (PROTOCOL §3) naming the publish's id, or the
 * subscription asked for. `code` is the server's (`BAD_REQUEST`, `UNKNOWN_CONTROLLER`, ...).
 */
export class ServerRefusedError extends QosgateClientError {
  override readonly name: string = 'ServerRefusedError';
  constructor(
    readonly serverCode: ErrorCode,
    message: string,
    /** The action of the refused frame, where the server could read it. */
    readonly action?: string,
    /** The id of the refused frame, where it had one. */
    readonly id?: string,
  ) {
    super(serverCode, message);
  }
}

/** The first connection could not be opened (`connect()` rejects with it). */
export class ConnectError extends QosgateClientError {
  override readonly name: string = 'ConnectError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONNECT_FAILED', message, options);
  }
}

/** `close()` was called while a publish or subscription was still unanswered. */
export class ClientClosedError extends QosgateClientError {
  override readonly name: string = 'ClientClosedError';
  constructor(message = 'the client was closed') {
    super('CLIENT_CLOSED', message);
  }
}

/** Server error codes after which the same frame may succeed later (docs/protocol.md §3). */
export function isRetryable(code: string): boolean {
  return code === 'INTERNAL' || code === 'RATE_LIMITED';
}
