import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from './fixtures.js';
import { expectAllOutputs, expectNoCanary, runAction } from './run-action.js';

/** Text an API could send: every line a workflow command, in both syntaxes, and an attempt to stop them. */
const HOSTILE = [
  'Crawl blocked',
  '::add-mask::ck_live_fake',
  '::stop-commands::abc',
  '::warning::injected-warning',
  '  ::error file=x.ts::injected-error',
  '##[warning]injected-legacy',
  '::abc::',
  '::set-output name=outcome::completed',
].join('\n');

/**
 * Reads a log as the runner does: a line whose trimmed text starts with `::` (or the older `##[`) is a
 * command, except between `::stop-commands::<token>` and `::<token>::`. Returns the live commands.
 */
function liveCommands(stdout: string): { name: string; data: string }[] {
  const out: { name: string; data: string }[] = [];
  let stopToken: string | undefined;
  for (const raw of stdout.split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    if (stopToken !== undefined) {
      if (line === `::${stopToken}::`) stopToken = undefined;
      continue;
    }
    const v2 = /^::([A-Za-z-]+)(?: [^:]*)?::(.*)$/.exec(line);
    if (v2) {
      out.push({ name: v2[1]!, data: v2[2]! });
      if (v2[1] === 'stop-commands') stopToken = v2[2]!;
      continue;
    }
    const v1 = /^##\[([A-Za-z-]+)[^\]]*\](.*)$/.exec(line);
    if (v1) out.push({ name: v1[1]!, data: v1[2]! });
  }
  return out;
}

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-request-id', 'req_hostile');
    if (req.method === 'POST' && req.url === '/v2/crawl') {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        if (body.includes('reject')) {
          res.statusCode = 400;
          res.end(JSON.stringify({ error: { code: 'INVALID_REQUEST', message: HOSTILE } }));
          return;
        }
        res.statusCode = 202;
        res.end(JSON.stringify({ execution_id: 'crawl-hostile-1', status: 'pending', meta: {} }));
      });
      return;
    }
    if (req.method === 'GET' && req.url === '/v2/crawl/crawl-hostile-1') {
      res.end(
        JSON.stringify({
          execution_id: 'crawl-hostile-1',
          status: 'failed',
          error: HOSTILE,
          meta: {
            vendor: `hostile.example\n${HOSTILE}`,
            start_date: '2026-01-01T00:00:00.000Z',
            stop_date: '2026-01-01T00:01:00.000Z',
            duration_ms: 60_000,
            steps: [
              { name: 'Determining crawl method', status: 'completed' },
              { name: `::warning::step-name\n${HOSTILE}`, status: 'failed' },
            ],
          },
        }),
      );
      return;
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no such route' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server?.close();
});

function expectNoLiveApiCommand(stdout: string): void {
  const commands = liveCommands(stdout);
  // Our own commands only: the key's mask, annotations and debug lines (their text escaped by
  // @actions/core, so one line each), and stop-commands blocks with a random token.
  for (const command of commands) {
    expect(['add-mask', 'warning', 'error', 'debug', 'stop-commands'], JSON.stringify(command)).toContain(
      command.name,
    );
    if (command.name === 'add-mask') expect(command.data).toBe(CANARY);
    if (command.name === 'stop-commands') expect(command.data).toMatch(/^[0-9a-f-]{36}$/);
    expect(command.data, JSON.stringify(command)).not.toMatch(/^injected|^step-name|^completed$/);
  }
  expect(commands.some((c) => c.name === 'set-output')).toBe(false);
}

describe('API text cannot issue runner commands (built bundle)', () => {
  it('a failed crawl whose error, vendor and step name are command lines', async () => {
    const run = await runAction({
      inputs: { 'api-key': CANARY, 'api-base-url': base, url: 'hostile.example', 'min-interval': '1s' },
    });
    expectNoCanary(run);
    expectAllOutputs(run);
    expect(run.code).toBe(1);
    expect(run.outputs['outcome']).toBe('failed');
    expectNoLiveApiCommand(run.stdout);
    // The text is still shown, inside a stop-commands block, not dropped.
    expect(run.stdout).toContain('::warning::injected-warning');
    expect(run.stdout).toMatch(/^::stop-commands::[0-9a-f-]{36}$/m);
    // The summary is Markdown, not a command channel, but no line of it starts with API text either.
    expect(run.summary.split('\n').some((line) => /^\s*(::|##\[)/.test(line))).toBe(false);
  });

  it('an API error on the POST whose message is command lines', async () => {
    const run = await runAction({
      inputs: { 'api-key': CANARY, 'api-base-url': base, url: 'reject.example' },
    });
    expectNoCanary(run);
    expectAllOutputs(run);
    expect(run.code).toBe(1);
    expect(run.outputs['outcome']).toBe('error');
    expect(run.outputs['error']).toContain('::add-mask::ck_live_fake');
    expectNoLiveApiCommand(run.stdout);
    expect(run.summary.split('\n').some((line) => /^\s*(::|##\[)/.test(line))).toBe(false);
  });

  it('the reader above does see a live command (the check can fail)', () => {
    expect(liveCommands(`ok\n${HOSTILE}`).map((c) => c.name)).toEqual([
      'add-mask',
      'stop-commands',
      'set-output',
    ]);
    expect(liveCommands('x\n  ::warning::a\n##[error]b').map((c) => c.data)).toEqual(['a', 'b']);
  });
});
