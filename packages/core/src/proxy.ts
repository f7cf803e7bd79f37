import { BlockList, isIP } from 'node:net';
import { InvalidInputError } from './errors.js';
import { type FetchLike, httpFetch } from './http-fetch.js';

/**
 * Proxy support from the environment (HTTPS_PROXY / HTTP_PROXY / NO_PROXY and their lowercase forms), because
 * Node's global fetch ignores them unless started with NODE_USE_ENV_PROXY=1. The decision is made here, by one
 * small matcher; the proxy machinery (undici's ProxyAgent and fetch) is imported only when a request actually
 * goes through a proxy, so the usual no-proxy path loads nothing extra (the Action's start-up time matters).
 *
 * We use undici's ProxyAgent with our own NO_PROXY matcher rather than its EnvHttpProxyAgent: in undici 6 the
 * latter prints an "experimental" process warning, matches `example.com` exactly only (curl also matches its
 * subdomains) and sends https traffic to HTTP_PROXY when HTTPS_PROXY is unset.
 */

type Env = Record<string, string | undefined>;

export interface ProxyChoice {
  /** The proxy URL, credentials included: never print it; print `display`. */
  url: URL;
  /** The proxy without credentials, e.g. `http://***@proxy.corp:3128`. */
  display: string;
  /** The variable it came from, e.g. `HTTPS_PROXY`. */
  variable: string;
}

interface ProxyEnv {
  http: ProxyChoice | undefined;
  https: ProxyChoice | undefined;
  noProxy: NoProxy;
}

interface NoProxy {
  all: boolean;
  /** Domain names: each matches itself and its subdomains. `port` 0 = any port. */
  names: { name: string; port: number }[];
  /** IP addresses and CIDR ranges. */
  ips: { list: BlockList; port: number }[];
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/** The first non-empty value among the names, lowercase first (as curl and undici read them). */
function pick(env: Env, names: string[]): { variable: string; value: string } | undefined {
  for (const variable of names) {
    const value = env[variable]?.trim();
    if (value) return { variable, value };
  }
  return undefined;
}

/** A proxy URL shown without its user name and password. */
export function describeProxy(url: URL): string {
  const hidden = url.username || url.password ? '***@' : '';
  return `${url.protocol}//${hidden}${url.host}`;
}

function parseProxy(env: Env, names: string[]): ProxyChoice | undefined {
  const found = pick(env, names);
  if (!found) return undefined;
  const { variable, value } = found;
  // Like curl, a value without a scheme (`proxy.corp:3128`) means an http:// proxy.
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The value is not echoed: it may hold credentials.
    throw new InvalidInputError(
      variable,
      `${variable} is not a valid proxy URL: set it to http://host:port (or http://user:password@host:port), or unset it`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidInputError(
      variable,
      `${variable} uses ${url.protocol.slice(0, -1)}://, which is not supported: set it to an http:// or https:// proxy URL, or unset it`,
    );
  }
  return { url, display: describeProxy(url), variable };
}

function port(text: string): number {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : -1;
}

/** Parses NO_PROXY: see the README's "Proxies" section for the rules. Entries it cannot read are skipped. */
export function parseNoProxy(value: string | undefined): NoProxy {
  const result: NoProxy = { all: false, names: [], ips: [] };
  for (const raw of (value ?? '').toLowerCase().split(/[\s,]+/)) {
    let entry = raw.trim();
    if (!entry) continue;
    if (entry === '*') {
      result.all = true;
      continue;
    }
    let p = 0;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      entry = bracketed[1] as string;
      p = bracketed[2] ? port(bracketed[2]) : 0;
    } else if ((entry.match(/:/g) ?? []).length === 1) {
      // host:port (a bare IPv6 address has several colons and no port).
      const at = entry.lastIndexOf(':');
      p = port(entry.slice(at + 1));
      entry = entry.slice(0, at);
    }
    if (p < 0 || !entry) continue;
    const slash = entry.indexOf('/');
    const address = slash < 0 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    if (family) {
      const list = new BlockList();
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (slash < 0) {
        list.addAddress(address, type);
      } else {
        const prefix = Number(entry.slice(slash + 1));
        if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) continue;
        list.addSubnet(address, prefix, type);
      }
      result.ips.push({ list, port: p });
      continue;
    }
    // `.example.com` and `*.example.com` mean the same as `example.com` (curl): the name and its subdomains.
    const name = entry.replace(/^\*?\.+/, '').replace(/\.$/, '');
    if (name && !name.includes('/') && !name.includes('*')) result.names.push({ name, port: p });
  }
  return result;
}

function isLoopback(host: string, family: number): boolean {
  if (family === 4) return host.startsWith('127.');
  if (family === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return host === 'localhost' || host.endsWith('.localhost');
}

/** Whether NO_PROXY (or the loopback rule) sends a request to this URL direct. */
export function bypassesProxy(target: URL, noProxy: NoProxy): boolean {
  const host = target.hostname
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  const family = isIP(host);
  if (isLoopback(host, family)) return true;
  if (noProxy.all) return true;
  const p = Number(target.port) || DEFAULT_PORTS[target.protocol] || 0;
  const portOk = (entry: { port: number }) => entry.port === 0 || entry.port === p;
  if (family) {
    const type = family === 6 ? 'ipv6' : 'ipv4';
    return noProxy.ips.some((e) => portOk(e) && e.list.check(host, type));
  }
  return noProxy.names.some((e) => portOk(e) && (host === e.name || host.endsWith(`.${e.name}`)));
}

/** Reads the proxy variables once. Throws InvalidInputError for an unusable proxy URL. */
export function readProxyEnv(env: Env = process.env): ProxyEnv | undefined {
  const http = parseProxy(env, ['http_proxy', 'HTTP_PROXY']);
  const https = parseProxy(env, ['https_proxy', 'HTTPS_PROXY']);
  if (!http && !https) return undefined;
  const noProxy = parseNoProxy(pick(env, ['no_proxy', 'NO_PROXY'])?.value);
  return { http, https, noProxy };
}

/**
 * The proxy a request to `target` goes through, or undefined for a direct request. https URLs use
 * HTTPS_PROXY, http URLs HTTP_PROXY (no cross-over, as in curl and Node's NODE_USE_ENV_PROXY).
 */
export function proxyForUrl(target: string | URL, env: Env = process.env): ProxyChoice | undefined {
  return choose(readProxyEnv(env), new URL(target));
}

function choose(config: ProxyEnv | undefined, target: URL): ProxyChoice | undefined {
  if (!config) return undefined;
  const proxy =
    target.protocol === 'https:' ? config.https : target.protocol === 'http:' ? config.http : undefined;
  if (!proxy || bypassesProxy(target, config.noProxy)) return undefined;
  return proxy;
}

/**
 * The secrets in the proxy URLs, for the redactor: the password (as written and decoded), the whole
 * user:password, and the Basic token built from them; a user name alone (a token-style proxy URL) when there
 * is no password.
 */
export function proxySecrets(env: Env = process.env): string[] {
  const secrets: string[] = [];
  for (const names of [
    ['http_proxy', 'HTTP_PROXY'],
    ['https_proxy', 'HTTPS_PROXY'],
  ]) {
    for (const name of names) {
      const value = env[name]?.trim();
      if (!value) continue;
      let url: URL;
      try {
        url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
      } catch {
        continue;
      }
      const user = safeDecode(url.username);
      const password = safeDecode(url.password);
      if (url.password) {
        secrets.push(url.password, password, `${url.username}:${url.password}`, `${user}:${password}`);
        secrets.push(Buffer.from(`${user}:${password}`).toString('base64'));
      } else if (url.username) {
        secrets.push(url.username, user);
      }
    }
  }
  return secrets;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// One ProxyAgent per proxy URL, created on first use; undici is imported only then.
const loadUndici = () => import('undici');
type Undici = Awaited<ReturnType<typeof loadUndici>>;
let undici: Promise<Undici> | undefined;
const agents = new Map<string, import('undici').Dispatcher>();

async function agentFor(proxy: ProxyChoice): Promise<{ lib: Undici; agent: import('undici').Dispatcher }> {
  undici ??= loadUndici();
  const lib = await undici;
  let agent = agents.get(proxy.url.href);
  if (!agent) {
    agent = new lib.ProxyAgent({ uri: proxy.url.href });
    agents.set(proxy.url.href, agent);
  }
  return { lib, agent };
}

/**
 * A fetch that honours the proxy variables: requests a proxy applies to go through undici's own fetch with a
 * ProxyAgent (not the global fetch, whose bundled undici may be another major version than the npm one);
 * every other request uses the global fetch. A failure through a proxy names the proxy (without credentials)
 * and the variable it came from. Takes URL strings or URL objects (what the client passes).
 */
export function createProxyFetch(env: Env = process.env): typeof fetch {
  return throughProxies(env, (input, init) => fetch(input, init));
}

/** The client's default transport: the same routing, with node:http(s) for direct requests (see http-fetch). */
export function createTransport(env: Env = process.env): FetchLike {
  return throughProxies(env, httpFetch);
}

function throughProxies<R>(
  env: Env,
  direct: (input: string | URL, init?: RequestInit) => Promise<R>,
): (input: string | URL | Request, init?: RequestInit) => Promise<R> {
  const config = readProxyEnv(env);
  if (!config) return direct as (input: string | URL | Request, init?: RequestInit) => Promise<R>;
  return async (input, init) => {
    if (typeof input !== 'string' && !(input instanceof URL)) {
      throw new TypeError('the proxy-aware fetch takes a URL, not a Request');
    }
    const proxy = choose(config, new URL(input));
    if (!proxy) return direct(input, init);
    const { lib, agent } = await agentFor(proxy);
    try {
      const response = await lib.fetch(input, {
        ...(init as import('undici').RequestInit),
        dispatcher: agent,
      });
      return response as unknown as R;
    } catch (error) {
      if ((error as { name?: unknown })?.name === 'AbortError') throw error;
      throw new TypeError(
        `fetch failed through the proxy ${proxy.display} (from ${proxy.variable}; NO_PROXY lists hosts to reach directly)`,
        // undici's own "fetch failed" adds nothing: keep what is under it (e.g. ECONNREFUSED, a 407).
        { cause: (error as Error)?.message === 'fetch failed' ? ((error as Error).cause ?? error) : error },
      );
    }
  };
}
