import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CatalogClient, type CatalogClientOptions, createRedactor } from '@catalog-crawl/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { SubscriptionSettings, WaitSettings } from './context.js';
import { createServer } from './server.js';

/** Header in which an HTTP client sends its own Catalog API key (`Authorization: Bearer <key>` works too). */
export const KEY_HEADER = 'x-catalog-api-key';
export const DEFAULT_HTTP_PORT = 3100;
export const DEFAULT_HTTP_HOST = '127.0.0.1';
export const MCP_PATH = '/mcp';

const MAX_BODY_BYTES = 1024 * 1024;
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
  log?: (line: string) => void;
}

export interface HttpServerHandle {
  /** e.g. `http://127.0.0.1:3100/mcp` */
  url: string;
  port: number;
  host: string;
  /** Open MCP sessions. */
  readonly sessionCount: number;
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  keyHash: Buffer;
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

function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) {
    const end = hostHeader.indexOf(']');
    return end > 0 ? hostHeader.slice(0, end + 1).toLowerCase() : hostHeader.toLowerCase();
  }
  return (hostHeader.split(':')[0] ?? '').toLowerCase();
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.includes(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function sendJsonError(res: ServerResponse, status: number, message: string, code = -32000): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Serves MCP over Streamable HTTP at `/mcp`, bound to loopback by default, with Host and Origin header checks
 * against DNS rebinding. Each session gets its own McpServer and CatalogClient, built from the key the client
 * sent (or the server's key): sessions never share a client, and a session only answers requests that carry
 * the key it was created with.
 */
export async function startHttpServer(options: HttpServerOptions = {}): Promise<HttpServerHandle> {
  const host = options.host ?? DEFAULT_HTTP_HOST;
  const log = options.log ?? (() => {});
  const sessions = new Map<string, Session>();
  const allowed = new Set(
    [...(isLoopbackHost(host) ? LOOPBACK_NAMES : []), host, ...(options.allowedHosts ?? [])].map((h) =>
      h.toLowerCase(),
    ),
  );
  const idleMs = options.sessionIdleMs ?? 30 * 60_000;

  const hostAllowed = (req: IncomingMessage): boolean => {
    const hostHeader = req.headers.host;
    if (!hostHeader || !allowed.has(hostnameOf(hostHeader))) return false;
    const origin = req.headers.origin;
    if (origin && origin !== 'null') {
      try {
        const name = new URL(origin).hostname.toLowerCase();
        if (!allowed.has(name)) return false;
      } catch {
        return false;
      }
    } else if (origin === 'null') {
      return false;
    }
    return true;
  };

  const newSession = async (key: string | undefined): Promise<StreamableHTTPServerTransport> => {
    const apiKey = key ?? options.apiKey;
    const keyHash = hashKey(key);
    const server = createServer({
      http: true,
      secrets: [apiKey, options.apiKey],
      ...(apiKey
        ? {
            clientFactory: () =>
              new CatalogClient({
                ...options.clientOptions,
                apiKey,
                ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
              }),
          }
        : {}),
      ...(options.wait ? { wait: options.wait } : {}),
      ...(options.subscription ? { subscription: options.subscription } : {}),
      log,
    });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server, keyHash, lastSeen: Date.now() });
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

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req)) {
      sendJsonError(res, 403, 'Forbidden: Host or Origin header not allowed');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path !== MCP_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`Not found. The MCP endpoint is ${MCP_PATH}.\n`);
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
      await session.transport.handleRequest(req, res);
      return;
    }
    if (req.method !== 'POST') {
      sendJsonError(res, 400, 'Bad Request: no session id; send an initialize request first');
      return;
    }
    let body: unknown;
    try {
      body = await readJson(req);
    } catch {
      sendJsonError(res, 400, 'Parse error: the body must be JSON (at most 1 MiB)', -32700);
      return;
    }
    if (!isInitializeRequest(body)) {
      sendJsonError(res, 400, 'Bad Request: no session id; send an initialize request first');
      return;
    }
    const transport = await newSession(key);
    await transport.handleRequest(req, res, body);
  };

  const redact = createRedactor([options.apiKey]);
  const httpServer = createHttpServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`http error: ${redact(error instanceof Error ? error.message : String(error))}`);
      sendJsonError(res, 500, 'Internal server error', -32603);
    });
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
    },
    Math.min(60_000, idleMs),
  );
  reaper.unref();

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? DEFAULT_HTTP_PORT, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const port = (httpServer.address() as AddressInfo).port;
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}${MCP_PATH}`,
    port,
    host,
    get sessionCount() {
      return sessions.size;
    },
    async close() {
      clearInterval(reaper);
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(
        open.map(async (s) => {
          await s.transport.close();
          await s.server.close();
        }),
      );
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    },
  };
}
