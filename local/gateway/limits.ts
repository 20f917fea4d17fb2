import type { CloseCause, DisconnectInfo } from './types.js';

/**
 * API Gateway's WebSocket quotas and the close codes it uses when one is hit.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
 *   WebSocket frame size 32 KB, message payload size 128 KB ("If a larger message (or larger
 *   frame size) is received, the connection is closed with code 1009"), connection duration
 *   2 hours, idle connection timeout 10 minutes, integration timeout 50 ms - 29 s.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-routes-integrations.html
 *   "If a binary frame is received, the connection is closed with code 1003."
 */
export const DEFAULT_LIMITS = {
  idleTimeoutMs: 10 * 60 * 1000,
  maxConnectionMs: 2 * 60 * 60 * 1000,
  maxFrameBytes: 32 * 1024,
  maxMessageBytes: 128 * 1024,
  maxPostBytes: 128 * 1024,
  integrationTimeoutMs: 29 * 1000,
  // Local bounds on frames in their handlers at once (API Gateway has none of its own: Lambda's
  // concurrency bounds it, 1,000 per account and Region by default). A frame past one waits.
  maxFramesInFlightPerConnection: 10,
  maxFramesInFlight: 1000,
} as const;

/**
 * The close codes and `$disconnect` reasons for each way a connection ends. The docs give the
 * codes for the size and binary limits; for the idle and duration limits and for shutdown the
 * emulator uses 1001 "Going away" (RFC 6455: "an endpoint is going away"), which is what
 * `$disconnect` handlers see in AWS after a timeout. A client that closes without a status (or
 * just vanishes) is reported with API Gateway's own wording, as in the documented DISCONNECT event.
 */
export const CLOSE = {
  frameTooLarge: { statusCode: 1009, reason: 'Frame size exceeds 32 KB limit' },
  messageTooLarge: { statusCode: 1009, reason: 'Message size exceeds 128 KB limit' },
  binaryFrame: { statusCode: 1003, reason: 'Binary frames are not supported' },
  idle: { statusCode: 1001, reason: 'Going away' },
  maxDuration: { statusCode: 1001, reason: 'Going away' },
  shutdown: { statusCode: 1001, reason: 'Going away' },
  deleted: { statusCode: 1000, reason: 'Connection Closed Normally' },
  noStatus: { statusCode: 1005, reason: 'Client-side close frame status not set' },
  invalidUtf8: { statusCode: 1007, reason: 'Invalid UTF-8 in text frame' },
  protocolError: { statusCode: 1002, reason: 'Protocol error' },
} as const satisfies Record<string, DisconnectInfo>;

/** The closes the gateway makes itself, by their {@link CloseCause}. */
const GATEWAY_CLOSES: ReadonlyArray<Exclude<CloseCause, 'client'>> = [
  'frameTooLarge',
  'messageTooLarge',
  'binaryFrame',
  'invalidUtf8',
  'protocolError',
  'idle',
  'maxDuration',
  'deleted',
  'shutdown',
];

/**
 * Why a connection ended, from the info it ended with: the gateway's own closes are the
 * {@link CLOSE} objects themselves (compared by identity, since idle, 2 h and shutdown share
 * code and reason); anything else came from the client.
 */
export function causeOf(info: DisconnectInfo): CloseCause {
  return GATEWAY_CLOSES.find((cause) => CLOSE[cause] === info) ?? 'client';
}

/**
 * Watches the raw bytes a client sends and reports the first data frame over `maxFrameBytes`
 * or message (a frame and its continuations) over `maxMessageBytes`, from the frame headers
 * alone, before the payload has arrived. `ws` only knows one limit (`maxPayload`, on the whole
 * message), and API Gateway has two.
 *
 *   byte 0: FIN RSV1-3 opcode(4)   byte 1: MASK len(7)   [len 16 | len 64]   [mask key 32]   payload
 *
 * Feed it every chunk of the socket (before `ws` gets it, so it can stop the frame first).
 * permessage-deflate is off on the server, so payload lengths are the real message sizes.
 */
export class FrameSizeGuard {
  private readonly header = Buffer.alloc(14);
  private headerLength = 0;
  private payloadLeft = 0;
  private messageBytes = 0;
  private tripped = false;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly maxMessageBytes: number,
    private readonly onViolation: (info: DisconnectInfo) => void,
  ) {}

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length && !this.tripped) {
      if (this.payloadLeft > 0) {
        const skip = Math.min(this.payloadLeft, chunk.length - i);
        this.payloadLeft -= skip;
        i += skip;
        continue;
      }
      this.header[this.headerLength++] = chunk[i++] ?? 0;
      if (this.headerLength >= 2 && this.headerLength === this.headerSize()) {
        this.onHeader();
        this.headerLength = 0;
      }
    }
  }

  private headerSize(): number {
    const len7 = (this.header[1] ?? 0) & 0x7f;
    const masked = ((this.header[1] ?? 0) & 0x80) !== 0;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
  }

  private onHeader(): void {
    const fin = ((this.header[0] ?? 0) & 0x80) !== 0;
    const opcode = (this.header[0] ?? 0) & 0x0f;
    const len7 = (this.header[1] ?? 0) & 0x7f;
    const length = len7 === 126 ? this.header.readUInt16BE(2) : len7 === 127 ? Number(this.header.readBigUInt64BE(2)) : len7;
    this.payloadLeft = length;
    if (opcode >= 0x8) return; // control frames (close, ping, pong) are at most 125 bytes
    if (opcode !== 0x0) this.messageBytes = 0; // a text or binary frame starts a new message
    this.messageBytes += length;
    if (length > this.maxFrameBytes) return this.trip(CLOSE.frameTooLarge);
    if (this.messageBytes > this.maxMessageBytes) return this.trip(CLOSE.messageTooLarge);
    if (fin) this.messageBytes = 0;
  }

  private trip(info: DisconnectInfo): void {
    this.tripped = true;
    this.onViolation(info);
  }
}
