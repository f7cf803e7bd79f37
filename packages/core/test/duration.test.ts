import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, InvalidInputError, parseDuration } from '../src/index.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1h 30m', 5_400_000],
    ['1.5s', 1_500],
    ['1m30.5s', 90_500],
    [' 2H ', 7_200_000],
    ['30d', 30 * 86_400_000],
  ])('%s -> %d', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('rejects a bare number with a message asking for a unit', () => {
    expect(() => parseDuration('90', 'timeout')).toThrow(InvalidInputError);
    expect(() => parseDuration('90', 'timeout')).toThrow('"90" has no unit: write 90s, 90m or 90h');
    try {
      parseDuration('90', 'timeout');
    } catch (error) {
      expect((error as InvalidInputError).field).toBe('timeout');
    }
  });

  it.each([
    ['', 'is empty'],
    ['-5m', 'negative'],
    ['0s', 'greater than zero'],
    ['0ms', 'greater than zero'],
    ['NaN', 'not a duration'],
    ['abc', 'not a duration'],
    ['5 minutes', 'not a duration'],
    ['5x', 'not a duration'],
    ['31d', 'too long'],
    ['3000h', 'too long'],
    ['30m1h', 'largest to smallest'],
    ['1h1h', 'largest to smallest'],
    ['1e3s', 'not a duration'],
    ['Infinity', 'not a duration'],
  ])('rejects %j (%s)', (text, why) => {
    expect(() => parseDuration(text)).toThrow(why);
  });

  it('rejects non-strings', () => {
    expect(() => parseDuration(90 as unknown as string)).toThrow(InvalidInputError);
  });
});

describe('formatDuration', () => {
  it.each([
    [5_400_000, '1h30m'],
    [90_000, '1m30s'],
    [1_500, '1.5s'],
    [500, '500ms'],
    [0, '0ms'],
    [86_400_000 + 3_600_000, '1d1h'],
    [-90_000, '-1m30s'],
  ])('%d -> %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([
    [90_500, '1m31s'],
    [3_720_000, '1h2m'],
    [3_725_000, '1h2m'],
    [3_599_700, '1h'],
    [59_600, '1m'],
    [9_960, '10s'],
    [999.6, '1s'],
    [42_400, '42s'],
    [7_200_000, '2h'],
  ])('one precision rule: %d -> %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('parses back to the value rounded to the last unit shown', () => {
    const unitMs = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 * 86_400_000 }), (ms) => {
        const text = formatDuration(ms);
        const last = /(ms|d|h|m|s)$/.exec(text)![1] as keyof typeof unitMs;
        // Below 10 s the seconds keep one decimal.
        const step = last === 's' && ms < 9_950 ? 100 : unitMs[last];
        expect(Math.abs(parseDuration(text) - ms)).toBeLessThanOrEqual(step / 2);
      }),
    );
  });

  it('round-trips every duration that is whole at its precision', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(86_400_000, 3_600_000, 60_000, 1_000),
        fc.integer({ min: 1, max: 23 }),
        fc.integer({ min: 0, max: 23 }),
        (unit, big, small) => {
          // Two adjacent units: d+h, h+m, m+s (each below its carry), and whole seconds below a minute.
          const next = { 86400000: 3_600_000, 3600000: 60_000, 60000: 1_000, 1000: 1 }[unit]!;
          const ms = unit === 1_000 ? (big + 10) * 1_000 : big * unit + small * next;
          expect(parseDuration(formatDuration(ms))).toBe(ms);
        },
      ),
    );
  });
});
