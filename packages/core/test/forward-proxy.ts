// The same proxy as the test kit's (tests/kit/src/forward-proxy.ts): core's tests cannot use the kit, which depends on core.
import { createServer, request } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

/** A host name DNS cannot resolve (the .test TLD is reserved): only the proxy knows where it lives. */
export const PROXY_ONLY_HOST = 'catalog-api.test';

export interface Seen {
  kind: 'connect' | 'absolute';
  /** `host:port` for CONNECT, the absolute URI otherwise. */
  target: string;
  proxyAuthorization: string | undefined;
}

export interface ForwardProxy {
  /** http://127.0.0.1:PORT, or with user:password@ when credentials are required. */
  url: string;
  port: number;
  seen: Seen[];
  /** Closes every open connection and tunnel (clients then open new ones). */
  dropConnections(): void;
  close(): Promise<void>;
}

/**
 * A real forward proxy on loopback: absolute-URI requests (plain HTTP proxying) and CONNECT tunnels. It maps
 * PROXY_ONLY_HOST:port to 127.0.0.1:port and refuses every other target with 502, so a request that reached
 * the API host went through here. With `credentials` it answers 407 to requests without the right
 * Proxy-Authorization.
 */
export async function startForwardProxy(credentials?: {
  user: string;
  password: string;
}): Promise<ForwardProxy> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const expected = credentials
    ? `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`
    : undefined;
  const authorised = (header: string | undefined) => expected === undefined || header === expected;
  const map = (host: string, port: string) =>
    host === PROXY_ONLY_HOST ? { host: '127.0.0.1', port } : undefined;

  const server = createServer((req, res) => {
    const auth = req.headers['proxy-authorization'];
    seen.push({ kind: 'absolute', target: req.url ?? '', proxyAuthorization: auth });
    if (!authorised(auth)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute URI required');
      return;
    }
    const to = map(target.hostname, target.port || '80');
    if (!to) {
      res.writeHead(502).end(`unknown host ${target.hostname}`);
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = request(
      {
        host: to.host,
        port: Number(to.port),
        method: req.method,
        path: target.pathname + target.search,
        headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });

  server.on('connect', (req, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const auth = req.headers['proxy-authorization'];
    seen.push({ kind: 'connect', target: req.url ?? '', proxyAuthorization: auth });
    if (!authorised(auth)) {
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n',
      );
      return;
    }
    const [host = '', port = '443'] = (req.url ?? '').split(':');
    const to = map(host, port);
    if (!to) {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const upstream = connect(Number(to.port), to.host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const userinfo = credentials ? `${credentials.user}:${credentials.password}@` : '';
  return {
    url: `http://${userinfo}127.0.0.1:${port}`,
    port,
    seen,
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
