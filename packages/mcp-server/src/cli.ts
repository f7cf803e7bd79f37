#!/usr/bin/env node
import { parseArgs } from 'node:util';
import {
  CatalogClient,
  createRedactor,
  ENV_API_KEY,
  ENV_BASE_URL,
  parseDuration,
  readEnv,
} from '@catalog-crawl/core';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { MAX_TOOL_TIMEOUT_MS } from './bound.js';
import {
  DEFAULT_HTTP_HOST,
  DEFAULT_HTTP_PORT,
  isLoopbackHost,
  KEY_HEADER,
  MCP_PATH,
  startHttpServer,
} from './http.js';
import { createServer } from './server.js';
import { VERSION } from './version.js';

const BIN = 'catalog-crawl-mcp';

export const USAGE = `${BIN} ${VERSION}: MCP server for Catalog API crawls (start, status, wait, cancel, list, results).

Usage:
  ${BIN}                       serve MCP over stdio (what MCP clients launch)
  ${BIN} --http [--port N] [--host H]
                                serve MCP over Streamable HTTP at http://H:N${MCP_PATH}
Options:
  --http               Streamable HTTP instead of stdio
  --port N             HTTP port (default ${DEFAULT_HTTP_PORT}; 0 picks a free one)
  --host H             HTTP bind address (default ${DEFAULT_HTTP_HOST}, loopback only)
  --allowed-host NAME  extra Host header name to accept (repeatable; for a non-loopback --host)
  --tool-timeout S     every tool answers within S seconds (default 30, at most 50);
                        wait_for_crawl within its wait_seconds (at most 45)
  --stall-after D      report a running crawl unchanged for D as stalled (default 15m)
  -h, --help           show this help
  -v, --version        show the version

Environment:
  ${ENV_API_KEY}       the Catalog API key (required for stdio; optional for HTTP, where each
                        client may send its own key in the ${KEY_HEADER} header or
                        Authorization: Bearer <key>)
  ${ENV_BASE_URL}  API base URL (default https://api.getcatalog.ai; e.g. the emulator's URL)

stdout carries only MCP messages; logs go to stderr.
`;

/** Exit codes: 0 normal, 1 unexpected failure, 2 usage or configuration error (e.g. missing key). */
export const EXIT_USAGE = 2;

function stderr(line: string): void {
  process.stderr.write(`${line}\n`);
}

function fail(message: string): never {
  stderr(`${BIN}: ${message}`);
  process.exit(EXIT_USAGE);
}

async function main(argv: string[]): Promise<void> {
  // Nothing but JSON-RPC may reach stdout: send stray console output to stderr.
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;

  let values: {
    http?: boolean;
    port?: string;
    host?: string;
    'allowed-host'?: string[];
    'tool-timeout'?: string;
    'stall-after'?: string;
    help?: boolean;
    version?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        http: { type: 'boolean' },
        port: { type: 'string' },
        host: { type: 'string' },
        'allowed-host': { type: 'string', multiple: true },
        'tool-timeout': { type: 'string' },
        'stall-after': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\nRun ${BIN} --help for usage.`);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }

  let toolTimeoutMs: number | undefined;
  if (values['tool-timeout'] !== undefined) {
    const secs = Number(values['tool-timeout']);
    if (!/^\d+$/.test(values['tool-timeout']) || secs < 1 || secs * 1000 > MAX_TOOL_TIMEOUT_MS)
      fail(
        `--tool-timeout must be whole seconds from 1 to ${MAX_TOOL_TIMEOUT_MS / 1000}, got "${values['tool-timeout']}"`,
      );
    toolTimeoutMs = secs * 1000;
  }
  let stallAfterMs: number | undefined;
  if (values['stall-after'] !== undefined) {
    try {
      stallAfterMs = parseDuration(values['stall-after']);
    } catch (error) {
      fail(`--stall-after: ${error instanceof Error ? error.message : String(error)} (e.g. 15m, 1h)`);
    }
  }
  const tuning = {
    ...(toolTimeoutMs !== undefined ? { toolTimeoutMs } : {}),
    ...(stallAfterMs !== undefined ? { poll: { stallAfterMs } } : {}),
  };

  const { apiKey, baseUrl } = readEnv(process.env);
  const redact = createRedactor([apiKey]);
  const log = (line: string) => stderr(`[${BIN}] ${redact(line)}`);

  process.on('uncaughtException', (error) => {
    log(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  });
  process.on('unhandledRejection', (error) => {
    log(`unhandled rejection: ${error instanceof Error ? error.message : String(error)}`);
  });

  if (values.http) {
    let port = DEFAULT_HTTP_PORT;
    if (values.port !== undefined) {
      port = Number(values.port);
      if (!/^\d+$/.test(values.port) || port > 65_535)
        fail(`--port must be a number from 0 to 65535, got "${values.port}"`);
    }
    const host = values.host ?? DEFAULT_HTTP_HOST;
    if (apiKey) {
      try {
        // Checks the server key and base URL once, at startup; each session builds its own client.
        new CatalogClient({ apiKey, ...(baseUrl ? { baseUrl } : {}) });
      } catch (error) {
        fail(redact(error instanceof Error ? error.message : String(error)));
      }
    }
    const handle = await startHttpServer({
      port,
      host,
      ...(apiKey ? { apiKey } : {}),
      ...(baseUrl ? { baseUrl } : {}),
      ...(values['allowed-host'] ? { allowedHosts: values['allowed-host'] } : {}),
      ...tuning,
      log,
    }).catch((error: unknown) =>
      fail(`cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`),
    );
    if (!isLoopbackHost(host))
      log(`warning: listening on ${host}, not loopback: anyone who can reach it can use it`);
    log(
      `listening on ${handle.url} (${apiKey ? `server key from ${ENV_API_KEY}` : `no server key: clients send ${KEY_HEADER}`})`,
    );
    let closing = false;
    const shutdown = (signal: string) => {
      if (closing) return;
      closing = true;
      log(`${signal}: answering waits in flight, then shutting down`);
      setTimeout(() => process.exit(0), 5_000).unref();
      handle.close().finally(() => process.exit(0));
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    return;
  }

  if (!apiKey) {
    fail(
      `${ENV_API_KEY} is not set. Set it in the "env" of this server in your MCP client configuration ` +
        `(and ${ENV_BASE_URL} to use another API, e.g. the local emulator). See ${BIN} --help.`,
    );
  }
  let client: CatalogClient;
  try {
    client = new CatalogClient({ apiKey, ...(baseUrl ? { baseUrl } : {}) });
  } catch (error) {
    fail(redact(error instanceof Error ? error.message : String(error)));
  }
  const stopping = new AbortController();
  const server = createServer({ client, secrets: [apiKey], log, shutdown: stopping.signal, ...tuning });
  const transport = new StdioServerTransport();

  let closing = false;
  const shutdown = (reason: string, answer: boolean) => {
    if (closing) return;
    closing = true;
    log(`${reason}: exiting`);
    // On a signal, waits in flight answer at once (still running, with the next step) while stdout is open;
    // when stdin or stdout has closed nobody is left to answer.
    stopping.abort();
    setTimeout(() => process.exit(0), answer ? 500 : 300).unref();
    const close = () => server.close().finally(() => process.exit(0));
    if (answer) setTimeout(close, 150);
    else close();
  };
  process.stdin.on('end', () => shutdown('stdin closed', false));
  process.stdin.on('close', () => shutdown('stdin closed', false));
  process.on('SIGTERM', () => shutdown('SIGTERM', true));
  process.on('SIGINT', () => shutdown('SIGINT', true));
  process.stdout.on('error', () => shutdown('stdout closed', false));

  await server.connect(transport);
  log(`ready on stdio (version ${VERSION}${baseUrl ? `, API ${baseUrl}` : ''})`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  stderr(`${BIN}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
