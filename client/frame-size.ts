/**
 * The one frame limit a client can hit without the server's help: API Gateway's (PROTOCOL §7,
 * docs/protocol.md "Limits"). A frame over it is not refused with an error frame but answered by
 * closing the connection with 1009, so a client that resent it would loop forever.
 */
import { FrameTooLargeError } from './errors.js';

/**
 * API Gateway closes a connection (1009) that sends a frame over 32 KB: 32,768 bytes of UTF-8
 * text, counted as local/gateway/limits.ts counts it (the frame's payload length, over the
 * limit = `>`). The client refuses such a frame before sending it (docs/protocol.md §7).
 */
export const MAX_FRAME_BYTES = 32 * 1024;

/** UTF-8 length of a frame's text, without encoding it (a lone surrogate is written as U+FFFD: 3 bytes). */
export function frameBytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** A FrameTooLargeError if `text` is over MAX_FRAME_BYTES, else undefined. */
export function oversizeFrame(text: string, id?: string): FrameTooLargeError | undefined {
  const bytes = frameBytes(text);
  return bytes > MAX_FRAME_BYTES ? new FrameTooLargeError(bytes, MAX_FRAME_BYTES, id) : undefined;
}
