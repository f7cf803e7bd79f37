import { describe, expect, it } from 'vitest';
import { createRedactor } from '../src/index.js';

describe('createRedactor', () => {
  it('removes every secret, its trimmed and its URL-encoded form', () => {
    const redact = createRedactor(['ck_live_CANARY_9f8e7d', undefined, 'a+b/c=d', ' spaced-key ']);
    expect(redact('key ck_live_CANARY_9f8e7d and a%2Bb%2Fc%3Dd and a+b/c=d, spaced-key')).toBe(
      'key *** and *** and ***, ***',
    );
  });

  it('replaces a secret that contains another one whole', () => {
    expect(createRedactor(['abcd', 'abcdefgh'])('xabcdefghx abcd')).toBe('x***x ***');
  });

  it('leaves text alone when there is nothing to hide, or the secret is too short to hide safely', () => {
    expect(createRedactor([])('unchanged')).toBe('unchanged');
    expect(createRedactor(['k', ''])('keep k')).toBe('keep k');
  });

  it('treats secrets as literal text, not patterns', () => {
    expect(createRedactor(['a.c*'])('abcc a.c*')).toBe('abcc ***');
  });
});
