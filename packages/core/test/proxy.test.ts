import { afterEach, describe, expect, it, vi } from 'vitest';
import { CatalogClient, InvalidInputError } from '../src/index.js';
import {
  bypassesProxy,
  describeProxy,
  parseNoProxy,
  proxyForUrl,
  proxySecrets,
  readProxyEnv,
} from '../src/proxy.js';

const SECRET = 'pr0xy-CANARY-s3cret';

const direct = (url: string, noProxy: string) => bypassesProxy(new URL(url), parseNoProxy(noProxy));

describe('NO_PROXY rules', () => {
  it.each([
    // [url, NO_PROXY, direct?]
    ['https://api.example.com/', '', false],
    ['https://api.example.com/', '*', true],
    ['https://api.example.com/', ' * ', true],
    ['https://example.com/', 'example.com', true],
    ['https://api.example.com/', 'example.com', true],
    ['https://badexample.com/', 'example.com', false],
    ['https://example.com.evil.test/', 'example.com', false],
    ['https://api.example.com/', '.example.com', true],
    ['https://example.com/', '.example.com', true],
    ['https://api.example.com/', '*.example.com', true],
    ['https://API.Example.COM./', 'example.com', true],
    ['https://api.example.com/', 'EXAMPLE.com', true],
    ['https://api.example.com/', 'other.test, example.com ,', true],
    ['https://api.example.com/', 'other.test example.com', true],
    ['https://api.example.com/', 'other.test', false],
    ['https://api.example.com/', 'example.com:443', true],
    ['https://api.example.com/', 'example.com:8443', false],
    ['https://api.example.com:8443/', 'example.com:8443', true],
    ['http://api.example.com/', 'example.com:80', true],
    ['http://api.example.com/', 'example.com:443', false],
    ['http://10.0.0.1:8080/', '10.0.0.1', true],
    ['http://10.0.0.2/', '10.0.0.1', false],
    ['http://10.0.0.1:8080/', '10.0.0.1:8080', true],
    ['http://10.0.0.1:8081/', '10.0.0.1:8080', false],
    ['http://10.2.3.4/', '10.0.0.0/8', true],
    ['http://11.2.3.4/', '10.0.0.0/8', false],
    ['http://[2001:db8::1]/', '2001:db8::1', true],
    ['http://[2001:db8::1]/', '[2001:db8::1]', true],
    ['http://[2001:db8::1]:8080/', '[2001:db8::1]:8080', true],
    ['http://[2001:db8::1]:9090/', '[2001:db8::1]:8080', false],
    ['http://[2001:db8::7]/', '2001:db8::/32', true],
    ['http://[2001:db9::7]/', '2001:db8::/32', false],
    // Nonsense entries are skipped, not taken as wildcards.
    ['https://api.example.com/', 'exa*le.com,/8,:80,example.com:99999', false],
    // Loopback never goes through a proxy (a remote proxy's localhost is another machine).
    ['http://localhost:3000/', '', true],
    ['http://app.localhost/', '', true],
    ['http://127.0.0.1:3000/', '', true],
    ['http://127.8.9.10/', '', true],
    ['http://[::1]:3000/', '', true],
  ])('%s with NO_PROXY=%j: direct %s', (url, noProxy, expected) => {
    expect(direct(url, noProxy)).toBe(expected);
  });
});

describe('which proxy', () => {
  it('https URLs use HTTPS_PROXY and http URLs HTTP_PROXY, with no cross-over', () => {
    const env = { HTTPS_PROXY: 'http://secure.proxy:1', HTTP_PROXY: 'http://plain.proxy:2' };
    expect(proxyForUrl('https://api.example.com/', env)?.display).toBe('http://secure.proxy:1');
    expect(proxyForUrl('http://api.example.com/', env)?.display).toBe('http://plain.proxy:2');
    expect(proxyForUrl('https://api.example.com/', { HTTP_PROXY: 'http://plain.proxy:2' })).toBeUndefined();
    expect(proxyForUrl('http://api.example.com/', { HTTPS_PROXY: 'http://secure.proxy:1' })).toBeUndefined();
  });

  it('lowercase wins over uppercase; empty values count as unset; the variable is named', () => {
    const choice = proxyForUrl('https://a.example/', {
      https_proxy: 'http://lower:1',
      HTTPS_PROXY: 'http://upper:2',
    });
    expect(choice).toMatchObject({ display: 'http://lower:1', variable: 'https_proxy' });
    expect(
      proxyForUrl('https://a.example/', { https_proxy: ' ', HTTPS_PROXY: 'http://upper:2' }),
    ).toMatchObject({
      variable: 'HTTPS_PROXY',
    });
    expect(proxyForUrl('https://a.example/', { HTTPS_PROXY: '' })).toBeUndefined();
    expect(readProxyEnv({ NO_PROXY: 'x' })).toBeUndefined();
  });

  it('no_proxy wins over NO_PROXY', () => {
    const env = { HTTPS_PROXY: 'http://p:1', no_proxy: 'a.example', NO_PROXY: 'b.example' };
    expect(proxyForUrl('https://a.example/', env)).toBeUndefined();
    expect(proxyForUrl('https://b.example/', env)).toBeDefined();
  });

  it('a value without a scheme is an http:// proxy (as in curl)', () => {
    expect(proxyForUrl('https://a.example/', { HTTPS_PROXY: 'proxy.corp:3128' })?.url.href).toBe(
      'http://proxy.corp:3128/',
    );
  });

  it('an https:// proxy is accepted', () => {
    expect(proxyForUrl('https://a.example/', { HTTPS_PROXY: 'https://proxy.corp' })?.display).toBe(
      'https://proxy.corp',
    );
  });

  it('an unusable proxy URL is an InvalidInputError naming the variable, never echoing the value', () => {
    for (const [value, why] of [
      [`socks5://u:${SECRET}@proxy:1080`, /socks5:\/\/, which is not supported/],
      [`http://u:${SECRET}@[bad`, /not a valid proxy URL/],
    ] as const) {
      let error: unknown;
      try {
        readProxyEnv({ HTTPS_PROXY: value });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe('HTTPS_PROXY');
      expect((error as Error).message).toMatch(why);
      expect((error as Error).message).toMatch(/^HTTPS_PROXY /);
      expect((error as Error).message).not.toContain(SECRET);
    }
  });
});

describe('proxy credentials', () => {
  it('are hidden in the proxy shown', () => {
    expect(describeProxy(new URL(`http://user:${SECRET}@proxy.corp:3128`))).toBe(
      'http://***@proxy.corp:3128',
    );
    expect(describeProxy(new URL(`http://${SECRET}@proxy.corp`))).toBe('http://***@proxy.corp');
    expect(describeProxy(new URL('http://proxy.corp:3128'))).toBe('http://proxy.corp:3128');
  });

  it('are secrets for the redactor: the password raw and decoded, user:password, the Basic token', () => {
    const secrets = proxySecrets({
      https_proxy: 'http://me:p%40ss%3Aword1@proxy:1',
      HTTP_PROXY: `http://${SECRET}@p:2`,
    });
    expect(secrets).toEqual(
      expect.arrayContaining([
        'p%40ss%3Aword1',
        'p@ss:word1',
        'me:p@ss:word1',
        Buffer.from('me:p@ss:word1').toString('base64'),
        SECRET,
      ]),
    );
    // A user name next to a password is not a secret (redacting `me` everywhere would garble every text).
    expect(secrets).not.toContain('me');
    expect(proxySecrets({ HTTPS_PROXY: 'http://proxy:1' })).toEqual([]);
  });
});

describe('the client', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('refuses an unusable proxy variable when it is created, with a typed error', () => {
    vi.stubEnv('https_proxy', '');
    vi.stubEnv('HTTPS_PROXY', `ftp://u:${SECRET}@proxy`);
    expect(() => new CatalogClient({ apiKey: 'k'.repeat(20) })).toThrow(InvalidInputError);
    expect(() => new CatalogClient({ apiKey: 'k'.repeat(20) })).toThrow(/HTTPS_PROXY uses ftp:\/\//);
  });
});
