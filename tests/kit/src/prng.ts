/** FNV-1a hash of a seed, so that any string or number seeds the PRNG. */
export function hashSeed(seed: string | number): number {
  const text = String(seed);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32 from a 32-bit state: uniform in [0, 1), the same sequence for the same state. */
export function mulberry32(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded PRNG for deterministic workloads, jitter and choices (mulberry32 over the hashed seed). */
export function createRandom(seed: string | number): () => number {
  return mulberry32(hashSeed(seed));
}

/** Uniform in [min, max). */
export function uniform(random: () => number, min: number, max: number): number {
  return min + (max - min) * random();
}

/** Log-uniform in [min, max). */
export function logUniform(random: () => number, min: number, max: number): number {
  return Math.exp(uniform(random, Math.log(min), Math.log(max)));
}
