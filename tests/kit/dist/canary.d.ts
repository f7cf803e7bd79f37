/** The canary key: tests use it as the API key and check that no face ever writes it anywhere. */
export declare const CANARY = "ck_live_CANARY_9f8e7d";
/** Every text that contains a key (or its URL-encoded form), with where it was seen; [] when none does. */
export declare function canaryHits(texts: Record<string, string>, keys?: string | readonly string[]): string[];
/**
 * Every view of an error a face prints: message, cause chain, stack and JSON. (util.inspect also shows data
 * the error carries, such as the last crawl snapshot as the server sent it; no face prints that.)
 */
export declare function errorTexts(error: unknown): Record<string, string>;
//# sourceMappingURL=canary.d.ts.map