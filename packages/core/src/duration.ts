import { InvalidInputError } from './errors.js';

export const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: Unit[] = ['d', 'h', 'm', 's', 'ms'];

/** Longer than any sensible wait; guards against typos such as `3000h`. */
export const MAX_DURATION_MS = 30 * UNIT_MS.d;

const COMPONENT = /(\d+(?:\.\d+)?)\s*(ms|d|h|m|s)/y;

/** `90s`, `15m`, `2h`, `1h30m`, `500ms`, `1d` -> milliseconds. Bare numbers, negatives, junk: InvalidInputError(field). */
export function parseDuration(text: string, field = 'duration'): number {
  if (typeof text !== 'string') {
    throw new InvalidInputError(field, `${field} must be a duration string such as 90s, 15m or 2h`);
  }
  const input = text.trim().toLowerCase();
  const shown = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
  if (input === '') {
    throw new InvalidInputError(field, `${field} is empty: write a duration such as 90s, 15m or 2h`);
  }
  if (/^[+-]?\d+(\.\d+)?$/.test(input)) {
    const n = input.replace(/^\+/, '');
    throw new InvalidInputError(field, `${field} ${shown} has no unit: write ${n}s, ${n}m or ${n}h`);
  }
  if (input.startsWith('-')) {
    throw new InvalidInputError(field, `${field} ${shown} is negative: durations must be positive`);
  }
  let total = 0;
  let lastUnit = -1;
  let pos = 0;
  while (pos < input.length) {
    COMPONENT.lastIndex = pos;
    const match = COMPONENT.exec(input);
    if (!match) {
      throw new InvalidInputError(
        field,
        `${field} ${shown} is not a duration: use a number with a unit (ms, s, m, h, d), e.g. 90s, 15m, 1h30m`,
      );
    }
    const unit = match[2] as Unit;
    const rank = UNIT_ORDER.indexOf(unit);
    if (rank <= lastUnit) {
      throw new InvalidInputError(
        field,
        `${field} ${shown}: write each unit once, from largest to smallest, e.g. 1h30m`,
      );
    }
    lastUnit = rank;
    total += Number(match[1]) * UNIT_MS[unit];
    pos = COMPONENT.lastIndex;
    while (input[pos] === ' ') pos++;
  }
  const ms = Math.round(total);
  if (!Number.isFinite(ms) || ms > MAX_DURATION_MS) {
    throw new InvalidInputError(field, `${field} ${shown} is too long: the maximum is 30d`);
  }
  if (ms <= 0) {
    throw new InvalidInputError(field, `${field} ${shown} must be greater than zero`);
  }
  return ms;
}
