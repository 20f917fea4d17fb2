import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PowertoolsLogger } from '../../../lambdas/adapters/powertools/powertools-logger.js';

/** What Powertools wrote to stdout and stderr, one parsed JSON object per line. */
let lines: Array<Record<string, unknown>>;

beforeEach(() => {
  lines = [];
  const capture = (chunk: string | Uint8Array): boolean => {
    for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});
afterEach(() => vi.restoreAllMocks());

describe('PowertoolsLogger keeps fields named like Powertools\' own keys', () => {
  it('logs an error frame\'s text (a `message` field) as `detail`, with no reserved-key warning', () => {
    const log = new PowertoolsLogger();
    log.info('In: refused', { connectionId: 'c-1', code: 'bad_frame', message: 'unknown action: nope', action: 'nope' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'INFO', message: 'In: refused', connectionId: 'c-1', code: 'bad_frame', detail: 'unknown action: nope' });
  });

  it('renames every reserved key on every level, and keeps the line\'s own level, service and timestamp', () => {
    const log = new PowertoolsLogger();
    const fields = { level: 'x', service: 'y', timestamp: 'z', sampling_rate: 0.5, message: 'm' };
    log.info('a', fields);
    log.warn('b', fields);
    log.error('c', fields);
    expect(lines.map((l) => l.message)).toEqual(['a', 'b', 'c']);
    for (const line of lines) {
      expect(line).toMatchObject({ fieldLevel: 'x', fieldService: 'y', fieldTimestamp: 'z', fieldSamplingRate: 0.5, detail: 'm' });
      expect(line.service).toBe('qosgate');
      expect(line.timestamp).not.toBe('z');
    }
    expect(lines.map((l) => l.level)).toEqual(['INFO', 'WARN', 'ERROR']);
  });
});
