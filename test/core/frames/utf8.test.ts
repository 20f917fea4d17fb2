import { describe, expect, it } from 'vitest';
import { utf8ByteLength } from '../../../lambdas/core/frames/utf8.js';

describe('utf8ByteLength', () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['é', 2],
    ['€', 3],
    ['😀', 4],
    ['a😀é€', 10],
    ['\u07ff', 2],
    ['\u0800', 3],
    ['\uffff', 3],
  ])('%j takes %i bytes', (text, bytes) => {
    expect(utf8ByteLength(text)).toBe(bytes);
  });

  it('agrees with the UTF-8 encoder, lone surrogates counted as U+FFFD', () => {
    const samples = ['temp 25.3 °C', '日本語のテキスト', '🎉🎊 party', 'x\ud800y', '\udc00', 'end\ud83d'];
    for (const text of samples) expect(utf8ByteLength(text)).toBe(new TextEncoder().encode(text).length);
  });
});
