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
export type ClientErrorCode =
  | 'CONNECT_FAILED'
  | 'CONNECT_REFUSED'
  | 'CLIENT_CLOSED'
  | 'NOT_CONNECTED'
  | 'HANDLER_FAILED'
  | 'FRAME_TOO_LARGE'
  | 'SESSION_TAKEN_OVER'
  | 'MESSAGE_EXPIRED';

/**
 * A QoS 1/2 publish with an `expiry` (PROTOCOL §4) whose time ran out before the server took it
 * (the client was offline, or the server never answered): it is dropped, not sent any more.
 */
export class MessageExpiredError extends QosgateClientError {
  override readonly name: string = 'MessageExpiredError';
  constructor(readonly id: string) {
    super('MESSAGE_EXPIRED', `publish ${id} expired before the server took it; it was not sent again`);
  }
}

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
  constructor(message: string, options?: { cause?: unknown }, code: 'CONNECT_FAILED' | 'CONNECT_REFUSED' = 'CONNECT_FAILED') {
    super(code, message, options);
  }
}

/**
 * The server refused the handshake with an HTTP error (PROTOCOL §1), and said why in the body:
 * `refused (400): unknown controller: nope`. `connect()` rejects with it; after a good first
 * connection, a refusal that retrying cannot change (see {@link isFinalRefusal}) stops the
 * client and is reported as an `error` event, and its unanswered publishes reject with it.
 */
export class ConnectionRefusedError extends ConnectError {
  override readonly name: string = 'ConnectionRefusedError';
  constructor(
    /** The HTTP status (400 bad parameter, 401 no or bad token, 403 not allowed, 429, 5xx ...). */
    readonly status: number,
    /** The server's reason, from the response body. */
    readonly reason: string,
    /** The URL, without its token, for the message. */
    url?: string,
  ) {
    super(`${url ? `could not connect to ${url}: ` : ''}refused (${status})${reason ? `: ${reason}` : ''}`, undefined, 'CONNECT_REFUSED');
  }
}

/**
 * A refusal that the same handshake would get again: a 4xx (a bad parameter, an unknown
 * controller, a missing, expired or insufficient token), except 408 and 429 (a timeout, a
 * throttle: those pass) and a takeover's 409 (see {@link isTakeoverRefusal}). MQTT.js stops
 * reconnecting on "bad parameters" / "not authorized" too.
 */
export function isFinalRefusal(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429 && !isTakeoverRefusal(status);
}

/**
 * 409: a newer connection with this clientId took the session while this one was still
 * connecting (docs/protocol.md §1). It is a takeover that came before the open, and is handled
 * as one: reported, and the reconnect waits longer each time in a row.
 */
export function isTakeoverRefusal(status: number): boolean {
  return status === 409;
}

/**
 * The same clientId connected elsewhere and took the session over (PROTOCOL §1, as MQTT): this
 * connection was closed by the server (1000) right after it opened, `count` times in a row.
 * Reported as an `error` event with the `takeover` event; the client reconnects after a backoff
 * that grows with `count`, so two clients fighting over one clientId slow down instead of
 * taking the session from each other many times a second.
 */
export class SessionTakenOverError extends QosgateClientError {
  override readonly name: string = 'SessionTakenOverError';
  constructor(
    readonly clientId: string,
    readonly count: number,
    readonly delayMs: number,
  ) {
    super(
      'SESSION_TAKEN_OVER',
      `session taken over: another connection with clientId ${clientId} took the session (closed right after connecting, ${count} time${count === 1 ? '' : 's'} in a row); reconnecting in ${delayMs} ms. Is another client running with the same clientId?`,
    );
  }
}

/**
 * A frame API Gateway would close the connection for (1009: over 32 KB, MAX_FRAME_BYTES), so it
 * was not sent; or one that was sent and answered by a close 1009, so it is not sent again.
 * Either way the publish is dropped from the outbox: resending it could only loop.
 */
export class FrameTooLargeError extends QosgateClientError {
  override readonly name: string = 'FrameTooLargeError';
  constructor(
    /** The frame's size in UTF-8 bytes. */
    readonly bytes: number,
    /** The largest frame API Gateway takes (32,768 bytes). */
    readonly limit: number,
    /** The publish's id, for QoS 1/2. */
    readonly id?: string,
    /** Set when the server closed the connection with 1009 after it was sent (its close reason). */
    readonly closeReason?: string,
  ) {
    super(
      'FRAME_TOO_LARGE',
      closeReason === undefined
        ? `frame too large: ${bytes} bytes, and API Gateway closes the connection (1009) on a frame over ${limit} bytes (32 KB); nothing was sent. Send less data (the server takes at most 31 KB of data by default)`
        : `frame too large: the server closed the connection with 1009 (${closeReason || 'no reason'}) after this ${bytes}-byte frame; it is not sent again`,
    );
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
