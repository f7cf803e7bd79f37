import { createHash } from 'node:crypto';

/** A small deterministic PRNG (mulberry32) seeded from any list of strings/numbers. */
export function seededRandom(...parts: (string | number)[]): () => number {
  let state = createHash('sha256').update(parts.join('\u0000')).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A value between min and max, uniform on a log scale. */
export function logUniform(random: () => number, min: number, max: number): number {
  return Math.exp(Math.log(min) + random() * (Math.log(max) - Math.log(min)));
}

export function between(random: () => number, min: number, max: number): number {
  return min + random() * (max - min);
}
