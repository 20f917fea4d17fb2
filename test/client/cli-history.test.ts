import { describe, expect, it } from 'vitest';
import { timeOption } from '../../cli/commands/history.js';
import { UsageError } from '../../cli/options.js';

describe('qosgate history --since / --before', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it('takes a duration ago (1h, or -1h as --since=-1h), ms since the epoch, or an ISO date', () => {
    expect(timeOption({ since: '1h' }, 'since', now)).toBe(now - 3_600_000);
    expect(timeOption({ since: '-30m' }, 'since', now)).toBe(now - 1_800_000);
    expect(timeOption({ before: '1764547200000' }, 'before', now)).toBe(1_764_547_200_000);
    expect(timeOption({ since: '2026-12-01T11:00:00Z' }, 'since', now)).toBe(now - 3_600_000);
    expect(timeOption({}, 'since', now)).toBeUndefined();
  });
  it('refuses anything else, saying what it takes', () => {
    expect(() => timeOption({ since: 'yesterday' }, 'since', now)).toThrow(UsageError);
    expect(() => timeOption({ since: 'yesterday' }, 'since', now)).toThrow(/--since must be an ISO date, ms since the epoch or a duration ago/);
  });
});
