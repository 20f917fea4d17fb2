import { describe, expect, it } from 'vitest';
import { FrameSizeGuard } from '../../../local/gateway/limits.js';
import type { DisconnectInfo } from '../../../local/gateway/types.js';

/** A masked client frame: FIN/opcode byte, length in the shortest form, mask key, payload. */
function frame(opcode: number, fin: boolean, length: number): Buffer {
  const lengthBytes = length < 126 ? Buffer.from([0x80 | length]) : length < 65536 ? Buffer.from([0x80 | 126, length >> 8, length & 0xff]) : Buffer.concat([Buffer.from([0x80 | 127]), u64(length)]);
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode]), lengthBytes, Buffer.from([1, 2, 3, 4]), Buffer.alloc(length, 0x61)]);
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

function guard(maxFrame: number, maxMessage: number) {
  const violations: DisconnectInfo[] = [];
  return { guard: new FrameSizeGuard(maxFrame, maxMessage, (info) => violations.push(info)), violations };
}

describe('FrameSizeGuard', () => {
  it('lets frames and messages up to the limits through, whatever the chunking', () => {
    const { guard: g, violations } = guard(200, 500);
    const stream = Buffer.concat([frame(1, true, 200), frame(1, false, 200), frame(0, false, 200), frame(0x9, true, 4), frame(0, true, 100), frame(1, true, 0)]);
    for (let i = 0; i < stream.length; i += 7) g.push(stream.subarray(i, i + 7));
    expect(violations).toEqual([]);
  });

  it('reports a frame over the frame limit from its header alone', () => {
    const { guard: g, violations } = guard(200, 500);
    // 8 bytes: opcode, 16-bit length, mask key; none of the payload.
    g.push(frame(1, true, 201).subarray(0, 8));
    expect(violations).toEqual([{ statusCode: 1009, reason: expect.stringMatching(/frame/i) }]);
  });

  it('reports a message whose frames add up past the message limit', () => {
    const { guard: g, violations } = guard(200, 500);
    g.push(Buffer.concat([frame(1, false, 200), frame(0, false, 200), frame(0, true, 101)]));
    expect(violations).toEqual([{ statusCode: 1009, reason: expect.stringMatching(/message/i) }]);
  });

  it('reads 64-bit lengths and reports once', () => {
    const { guard: g, violations } = guard(32 * 1024, 128 * 1024);
    g.push(frame(2, true, 70_000));
    g.push(frame(1, true, 70_000));
    expect(violations).toHaveLength(1);
  });
});
