// CONTRACT (to be implemented)
/** `90s`, `15m`, `2h`, `1h30m`, `500ms`, `1d` -> milliseconds. Bare numbers, negatives, junk: InvalidInputError(field). */
export declare function parseDuration(text: string, field?: string): number;
/** 5_400_000 -> `1h30m`, 90_000 -> `1m30s`, 1_500 -> `1.5s`. */
export declare function formatDuration(ms: number): string;
