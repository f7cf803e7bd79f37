/** Secrets shorter than this are left alone: replacing one or two letters everywhere would garble every text. */
export const MIN_SECRET_LENGTH = 4;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A function that replaces every secret, and its URL-encoded form, with `***`. Every face runs what it prints
 * through one, so a key that reached a message by any route (a server echoing it, a URL) still never leaves.
 */
export function createRedactor(secrets: Iterable<string | undefined>): (text: string) => string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of [secret, secret.trim(), encodeURIComponent(secret)]) {
      if (form.length >= MIN_SECRET_LENGTH) forms.add(form);
    }
  }
  if (forms.size === 0) return (text) => text;
  // Longest first, so that a secret containing another is replaced whole.
  const pattern = new RegExp(
    [...forms]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join('|'),
    'g',
  );
  return (text) => text.replace(pattern, '***');
}
