/** FNV-1a hash of a seed, so that any string or number seeds the PRNG. */
export declare function hashSeed(seed: string | number): number;
/** mulberry32 from a 32-bit state: uniform in [0, 1), the same sequence for the same state. */
export declare function mulberry32(state: number): () => number;
/** A seeded PRNG for deterministic workloads, jitter and choices (mulberry32 over the hashed seed). */
export declare function createRandom(seed: string | number): () => number;
/** Uniform in [min, max). */
export declare function uniform(random: () => number, min: number, max: number): number;
/** Log-uniform in [min, max). */
export declare function logUniform(random: () => number, min: number, max: number): number;
//# sourceMappingURL=prng.d.ts.map