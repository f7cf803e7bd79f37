import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CatalogClient, type CatalogClientOptions, createRedactor } from '@catalog-crawl/core';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { SubscriptionSettings, WaitSettings } from './context.js';
import { BoundedEventStore } from './event-store.js';
import { createServer, pollOptions } from './server.js';
import { CrawlViews, type PollSettings } from './views.js';

/** Header in which an HTTP client sends its own Catalog API key (`Authorization: Bearer <key>` works too). */
export const KEY_HEADER = 'x-catalog-api-key';
export const DEFAULT_HTTP_PORT = 3100;
export const DEFAULT_HTTP_HOST = '127.0.0.1';
export const MCP_PATH = '/mcp';

/** How long close() lets in-flight requests (waits answering early) finish before closing the sessions. */
const DRAIN_MS = 3_000;
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1', '[::1]'];

export interface HttpServerOptions {
  /** Default 3100; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** The server's own key. Without it, every client must send its key in `x-catalog-api-key` or `Authorization: Bearer`. */
  apiKey?: string;
  baseUrl?: string;
  /** Extra options for each session's CatalogClient (tests: retry policy, timeouts). */
  clientOptions?: Omit<Partial<CatalogClientOptions>, 'apiKey' | 'baseUrl'>;
  /** Host names accepted in the Host header besides the loopback names and `host`. */
  allowedHosts?: string[];
  /** Sessions idle for this long are closed. Default 30 min. */
  sessionIdleMs?: number;
  wait?: Partial<WaitSettings>;
  subscription?: Partial<SubscriptionSettings>;
  /** How often crawls are read (one view per key and crawl, shared by every session). */
  poll?: Partial<PollSettings>;
  /** Bound of every single-shot tool, in ms (default 30_000). */
  toolTimeoutMs?: number;
  /** Events kept per session for resumption (Last-Event-ID). Default 1_000. */
  maxEventsPerSession?: number;
  log?: (line: string) => void;
}

export interface HttpServerHandle {
  /** e.g. `http://127.0.0.1:3100/mcp` */
  url: string;
  port: number;
  host: string;
  /** Open MCP sessions. */
  readonly sessionCount: number;
  /** The view registry shared by every session (tests and diagnostics). */
  readonly views: CrawlViews;
  /**
   * Answers in-flight waits at once (still running, with the next step), lets those answers go out, then
   * closes every session and the listener.
   */
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  keyHash: Buffer;
  /** The shared client this session uses (by key hash), if any. */
  clientId: string | undefined;
  lastSeen: number;
}

function hashKey(key: string | undefined): Buffer {
  return createHash('sha256')
    .update(key ?? '')
    .digest();
}

/** The key a request carries, from `x-catalog-api-key` or `Authorization: Bearer`. */
export function requestKey(req: IncomingMessage): string | undefined {
  const header = req.headers[KEY_HEADER];
  const direct = (Array.isArray(header) ? header[0] : header)?.trim();
  if (direct) return direct;
  const auth = req.headers.authorization?.trim();
  const match = auth ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return match?.[1]?.trim() || undefined;
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.includes(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function sendJsonError(res: ServerResponse, status: number, message: string, code = -32000): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/**
 * Serves MCP over Streamable HTTP at `/mcp`, bound to loopback by default. Host header validation is the SDK's
 * (`createMcpExpressApp` and its `hostHeaderValidation` middleware); the Origin check is ours because SDK 1.x
 * has no Origin middleware. Each session gets its own McpServer; sessions holding the same key share one
 * CatalogClient (one rate limiter) and every session shares one view per crawl, so however many agents follow
 * a crawl it is read at the documented cadence. A session only answers requests that carry the key it was
 * created with. SSE events carry ids and a bounded event store, so a client that reconnects resumes.
 */
export async function startHttpServer(options: HttpServerOptions = {}): Promise<HttpServerHandle> {
  const host = options.host ?? DEFAULT_HTTP_HOST;
  const log = options.log ?? (() => {});
  const sessions = new Map<string, Session>();
  const allowed = [
    ...new Set(
      [...(isLoopbackHost(host) ? LOOPBACK_NAMES : []), host, ...(options.allowedHosts ?? [])].map((h) =>
        h.toLowerCase(),
      ),
    ),
  ];
  const idleMs = options.sessionIdleMs ?? 30 * 60_000;
  const views = new CrawlViews(pollOptions(options));
  const shutdown = new AbortController();
  const clients = new Map<string, CatalogClient>();
  let inflight = 0;

  const clientIdOf = (apiKey: string) => hashKey(apiKey).toString('hex');
  const clientFor = (apiKey: string): CatalogClient => {
    const id = clientIdOf(apiKey);
    let client = clients.get(id);
    if (!client) {
      client = new CatalogClient({
        ...options.clientOptions,
        apiKey,
        ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      });
      clients.set(id, client);
    }
    return client;
  };

  // DNS rebinding: the browser sends the attacker's Origin. A request without Origin (not a browser) passes.
  const originAllowed = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    if (origin === 'null') return false;
    try {
      return allowed.includes(new URL(origin).hostname.toLowerCase());
    } catch {
      return false;
    }
  };

  const newSession = async (key: string | undefined): Promise<StreamableHTTPServerTransport> => {
    const apiKey = key ?? options.apiKey;
    const keyHash = hashKey(key);
    const server = createServer({
      http: true,
      secrets: [apiKey, options.apiKey],
      ...(apiKey ? { clientFactory: () => clientFor(apiKey) } : {}),
      views,
      shutdown: shutdown.signal,
      ...(options.toolTimeoutMs !== undefined ? { toolTimeoutMs: options.toolTimeoutMs } : {}),
      ...(options.wait ? { wait: options.wait } : {}),
      ...(options.subscription ? { subscription: options.subscription } : {}),
      log,
    });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: new BoundedEventStore(options.maxEventsPerSession),
      onsessioninitialized: (id) => {
        const clientId = apiKey ? clientIdOf(apiKey) : undefined;
        sessions.set(id, { transport, server, keyHash, clientId, lastSeen: Date.now() });
        log(`session ${id.slice(0, 8)} opened (${key ? 'client key' : apiKey ? 'server key' : 'no key'})`);
      },
      onsessionclosed: (id) => {
        log(`session ${id.slice(0, 8)} closed by the client`);
      },
    });
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id && sessions.delete(id)) void server.close().catch(() => {});
    };
    await server.connect(transport);
    return transport;
  };

  const handle = async (req: IncomingMessage & { body?: unknown }, res: ServerResponse): Promise<void> => {
    if (!originAllowed(req)) {
      sendJsonError(res, 403, 'Forbidden: Origin header not allowed');
      return;
    }
    if (shutdown.signal.aborted) {
      sendJsonError(res, 503, 'The server is shutting down: reconnect when it is back');
      return;
    }
    const key = requestKey(req);
    const sessionHeader = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(sessionHeader) ? sessionHeader[0] : sessionHeader;
    if (sessionId) {
      const session = sessions.get(sessionId);
      if (!session) {
        sendJsonError(res, 404, 'Session not found: initialize a new session', -32001);
        return;
      }
      if (!timingSafeEqual(session.keyHash, hashKey(key))) {
        sendJsonError(res, 403, 'Forbidden: this session was opened with a different API key');
        return;
      }
      session.lastSeen = Date.now();
      await session.transport.handleRequest(req, res, req.body);
      return;
    }
    if (req.method !== 'POST') {
      sendJsonError(res, 400, 'Bad Request: no session id; send an initialize request first');
      return;
    }
    if (!isInitializeRequest(req.body)) {
      sendJsonError(res, 400, 'Bad Request: no session id; send an initialize request first');
      return;
    }
    const transport = await newSession(key);
    await transport.handleRequest(req, res, req.body);
  };

  const redact = createRedactor([options.apiKey]);
  // The SDK's app: Host header validation (DNS rebinding) before anything else, then the JSON body parser.
  const app = createMcpExpressApp({ host, allowedHosts: allowed });
  app.all(MCP_PATH, (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
    if (req.method === 'POST') {
      inflight++;
      res.once('close', () => {
        inflight--;
      });
    }
    handle(req, res).catch((error: unknown) => {
      log(`http error: ${redact(error instanceof Error ? error.message : String(error))}`);
      sendJsonError(res, 500, 'Internal server error', -32603);
    });
  });
  app.use((_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`Not found. The MCP endpoint is ${MCP_PATH}.\n`);
  });
  // Body parser failures (not JSON, too large): a JSON-RPC error, never an HTML page with a stack.
  app.use((error: { status?: number }, _req: IncomingMessage, res: ServerResponse, _next: unknown) => {
    const status =
      typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 400;
    sendJsonError(res, status, 'Parse error: the body must be JSON (at most 100 kB)', -32700);
  });

  const reaper = setInterval(
    () => {
      const now = Date.now();
      for (const [id, session] of sessions) {
        if (now - session.lastSeen > idleMs) {
          log(`session ${id.slice(0, 8)} closed after being idle`);
          void session.transport.close().catch(() => {});
        }
      }
      // A client (and its limiter) lives as long as a session holds its key: keys come from clients.
      const used = new Set([...sessions.values()].map((session) => session.clientId));
      for (const id of clients.keys()) if (!used.has(id)) clients.delete(id);
    },
    Math.min(60_000, idleMs),
  );
  reaper.unref();

  const httpServer = await new Promise<Server>((resolve, reject) => {
    const listening: Server = app.listen(options.port ?? DEFAULT_HTTP_PORT, host, (error?: Error) => {
      if (error) reject(error);
      else resolve(listening);
    });
    listening.once('error', reject);
  });
  const port = (httpServer.address() as AddressInfo).port;
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}${MCP_PATH}`,
    port,
    host,
    views,
    get sessionCount() {
      return sessions.size;
    },
    async close() {
      clearInterval(reaper);
      // Waits in flight answer now ("still running", with the next step); give those answers time to leave.
      shutdown.abort();
      const until = Date.now() + DRAIN_MS;
      while (inflight > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(
        open.map(async (s) => {
          await s.transport.close();
          await s.server.close();
        }),
      );
      views.close();
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    },
  };
}
