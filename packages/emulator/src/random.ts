import { createHash } from 'node:crypto';

/** A small deterministic PRNG (mulberry32) seeded from any list of strings/numbers. */
export function seededRandom(...parts: (string | number)[]): () => number {
  return mulberry32(createHash('sha256').update(parts.join('\u0000')).digest().readUInt32LE(0));
}

/** A 32-bit hash of parts, to pass to indexedRandom. */
export function hash32(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32LE(0);
}

/**
 * The PRNG of item `index` of a series seeded with `base` (from hash32): no hashing per item, so a page
 * of a 100,000-item series stays cheap. Distinct indexes (below 2^32) get distinct states: each step is
 * a bijection of 32-bit integers (murmur3's finaliser).
 */
export function indexedRandom(base: number, index: number): () => number {
  let h = (base ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return mulberry32((h ^ (h >>> 16)) >>> 0);
}

function mulberry32(seed: number): () => number {
  let state = seed;
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
