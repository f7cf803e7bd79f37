/** The canary key: tests use it as the API key and check that no face ever writes it anywhere. */
export const CANARY = 'ck_live_CANARY_9f8e7d';

/** Every text that contains a key (or its URL-encoded form), with where it was seen; [] when none does. */
export function canaryHits(
  texts: Record<string, string>,
  keys: string | readonly string[] = CANARY,
): string[] {
  const hits: string[] = [];
  for (const key of typeof keys === 'string' ? [keys] : keys) {
    const encoded = encodeURIComponent(key);
    for (const [where, text] of Object.entries(texts)) {
      const at = text.includes(key) ? text.indexOf(key) : text.indexOf(encoded);
      if (at >= 0) hits.push(`${where}: …${text.slice(Math.max(0, at - 80), at + 40)}…`);
    }
  }
  return hits;
}

/**
 * Every view of an error a face prints: message, cause chain, stack and JSON. (util.inspect also shows data
 * the error carries, such as the last crawl snapshot as the server sent it; no face prints that.)
 */
export function errorTexts(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error) {
      out[`message[${depth}]`] = current.message;
      out[`stack[${depth}]`] = current.stack ?? '';
      current = (current as { cause?: unknown }).cause;
    } else {
      out[`cause[${depth}]`] = String(current);
      break;
    }
  }
  out['String'] = String(error);
  try {
    out['JSON'] = JSON.stringify(error) ?? '';
  } catch (e) {
    out['JSON'] = `unserialisable: ${String(e)}`;
  }
  return out;
}
