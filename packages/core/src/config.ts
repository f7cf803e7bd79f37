import { InvalidInputError } from './errors.js';
import { clip } from './parse.js';

/**
 * Checks an API key and returns it trimmed. `source` names where the key came from, so that each face can say
 * it its own way (`the API key`, `Input "api-key":`). Messages never quote the key.
 */
export function validateApiKey(key: unknown, source = 'the API key'): string {
  if (typeof key !== 'string' || key.trim() === '') {
    throw new InvalidInputError('apiKey', `${source} is empty: pass a Catalog API key`);
  }
  const apiKey = key.trim();
  // A newline or space would make fetch reject the header with a message that may quote it.
  if (!/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new InvalidInputError(
      'apiKey',
      `${source} contains spaces, control or non-ASCII characters: check it for a stray character or a second line`,
    );
  }
  return apiKey;
}

/** Checks a base URL and returns it without a trailing slash. `source` names where it came from. */
export function validateBaseUrl(value: unknown, source = 'the base URL'): string {
  const text = typeof value === 'string' ? value.trim() : '';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidInputError(
      'baseUrl',
      `${source} ${JSON.stringify(clip(text, 80))} is not a URL: write it like https://api.getcatalog.ai`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidInputError(
      'baseUrl',
      `${source} must be an http(s) URL (http or https): it must start with https://, or http:// for a local server such as the emulator`,
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new InvalidInputError(
      'baseUrl',
      `${source} must not contain credentials, a query or a fragment (the key is passed on its own)`,
    );
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}
