/** Simulated time. Real mode: wall time scaled by `speed`. Manual mode: moves only through advance(). */
export interface Clock {
  /** Simulated epoch milliseconds. */
  now(): number;
  /** Moves simulated time forward by `ms` (in both modes). */
  advance(ms: number): void;
}

export function createClock(options: { speed?: number; manual?: boolean } = {}): Clock {
  const speed = options.speed ?? 1;
  if (!Number.isFinite(speed) || speed <= 0) throw new RangeError('speed must be a positive number');
  const origin = Date.now();
  let offset = 0;
  return {
    now: () => (options.manual ? origin : origin + (Date.now() - origin) * speed) + offset,
    advance(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance(ms) needs a finite ms >= 0');
      offset += ms;
    },
  };
}
