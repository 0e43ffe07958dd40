import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/lib/index.js';

describe('parseDuration / formatDuration', () => {
  it.each([
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['720h', 2_592_000_000],
    ['1.5s', 1500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', 'soon', '10x', '-1s', '5m soon'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('formats in the largest whole unit', () => {
    expect([3_600_000, 120_000, 5000, 250].map(formatDuration)).toEqual([
      '1h',
      '2m',
      '5s',
      '250ms',
    ]);
  });
});
