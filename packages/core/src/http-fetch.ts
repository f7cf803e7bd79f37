// The client's default transport when no proxy applies: node:http(s) behind the small part of the fetch
// interface the requester uses (status, headers.get, text). Global fetch costs about 50 KB of allocations per
// request and registers every request and abort signal in finalization registries, which keeps them alive
// through minor GCs: a process polling thousands of crawls then holds hundreds of MB of garbage. A plain
// request with the body read into one string costs a fraction of that. A `fetch` passed to the client, and
// any proxied request, still go through fetch.
import http from 'node:http';

// Loaded on first use: TLS costs start-up time that a run against a local http emulator never needs.
let https: Promise<typeof import('node:https')> | undefined;

/** What the requester reads from an answer; global fetch's Response has these too. */
export interface FetchAnswer {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<FetchAnswer>;

class AnswerHeaders {
  constructor(private readonly raw: http.IncomingHttpHeaders) {}

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }
}

class Answer implements FetchAnswer {
  readonly headers: AnswerHeaders;

  constructor(
    readonly status: number,
    headers: http.IncomingHttpHeaders,
    private readonly body: string,
  ) {
    this.headers = new AnswerHeaders(headers);
  }

  text(): Promise<string> {
    return Promise.resolve(this.body);
  }
}

/** GET/POST/DELETE with string headers and an optional string body; never follows a redirect. */
export function httpFetch(input: string | URL, init: RequestInit = {}): Promise<FetchAnswer> {
  let url: URL;
  try {
    url = new URL(input);
  } catch (error) {
    return Promise.reject(error);
  }
  if (url.protocol !== 'https:') return send(http, url, init);
  https ??= import('node:https');
  return https.then((lib) => send(lib, url, init));
}

function send(lib: Pick<typeof http, 'request'>, url: URL, init: RequestInit): Promise<FetchAnswer> {
  return new Promise((resolve, reject) => {
    let request: http.ClientRequest;
    try {
      request = lib.request(url, {
        method: init.method ?? 'GET',
        headers: init.headers as Record<string, string>,
        signal: init.signal ?? undefined,
      });
    } catch (error) {
      reject(error);
      return;
    }
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () =>
        resolve(
          new Answer(response.statusCode ?? 0, response.headers, Buffer.concat(chunks).toString('utf8')),
        ),
      );
      // A connection closed before the whole body arrived (fetch's "terminated").
      response.on('close', () => {
        if (!response.complete) reject(new Error('the connection closed before the whole answer arrived'));
      });
    });
    request.end(typeof init.body === 'string' ? init.body : undefined);
  });
}
