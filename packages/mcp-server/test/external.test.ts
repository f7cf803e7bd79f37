import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Emulator } from '@catalog-crawl/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY, startTestEmulator, until } from './helpers.js';

// Suites nobody here wrote, against the built server: the official MCP conformance suite (server mode, over
// HTTP) and the MCP Inspector 2.x CLI (stdio and HTTP). Both need Node 22+, fetched from the npm registry with
// `npx -y node@22` / `node@24` (npx caches it; the binaries are looked up once per run). The server runs on
// those Nodes too, so these tests are also what "runs on Node 22 and 24" in the README rests on.

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const require = createRequire(import.meta.url);
const CONFORMANCE = join(
  dirname(require.resolve('@modelcontextprotocol/conformance/package.json')),
  'dist/index.js',
);
const INSPECTOR = join(
  dirname(require.resolve('@modelcontextprotocol/inspector/package.json')),
  'clients/launcher/build/index.js',
);

const nodes = new Map<string, Promise<string>>();
/** The path of a Node binary of that major version, fetched once per run through npx. */
function nodeBinary(major: 22 | 24): Promise<string> {
  const key = String(major);
  let found = nodes.get(key);
  if (!found) {
    found = run('npx', ['-y', `node@${major}`, '-p', 'process.execPath'], { timeout: 120_000 }).then(
      ({ stdout }) => stdout.trim(),
    );
    nodes.set(key, found);
  }
  return found;
}

let emulator: Emulator;
let home: string;
const children: ChildProcess[] = [];
const outputs: string[] = [];

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run the build first`);
  emulator = await startTestEmulator();
  // The Inspector keeps state under ~/.mcp-inspector: a throwaway home.
  home = mkdtempSync(join(tmpdir(), 'mcp-inspector-home-'));
}, 60_000);
afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  await emulator?.close();
  rmSync(home, { recursive: true, force: true });
  expect(outputs.join('\n')).not.toContain(CANARY);
});

/** The built server in HTTP mode on that Node, with the emulator behind it. */
async function httpServer(node: string): Promise<string> {
  const child = spawn(node, [CLI, '--http', '--port', '0'], {
    env: { PATH: process.env['PATH'], CATALOG_API_KEY: CANARY, CATALOG_API_BASE_URL: emulator.url },
  });
  children.push(child);
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    outputs.push(d);
  });
  await until(() => /listening on http:\/\/\S+/.test(err), 20_000);
  return /listening on (http:\/\/\S+)/.exec(err)![1]!;
}

/** Scenarios that exercise fixtures of the suite's own test server (test_* tools, test:// resources, prompts,
 * logging, completions, sampling, elicitation): this server has none of them, by design. */
const INAPPLICABLE: Record<string, string> = {
  'logging-set-level': 'no logging capability',
  'completion-complete': 'no completions',
  'tools-call-image': 'needs the test_image_content tool',
  'tools-call-audio': 'needs the test_audio_content tool',
  'tools-call-embedded-resource': 'needs the test_embedded_resource tool',
  'tools-call-mixed-content': 'needs the test_multiple_content_types tool',
  'tools-call-with-logging': 'needs the test_tool_with_logging tool',
  'tools-call-with-progress': 'needs the test_tool_with_progress tool',
  'tools-call-sampling': 'needs the test_sampling tool',
  'tools-call-elicitation': 'needs the test_elicitation tool',
  'json-schema-2020-12': 'needs the json_schema_2020_12_tool tool (our 2020-12 schemas: clients.test.ts)',
  'elicitation-sep1034-defaults': 'needs an elicitation test tool',
  'elicitation-sep1330-enums': 'needs an elicitation test tool',
  'server-sse-polling': 'needs the test_reconnection tool',
  'resources-read-text': 'needs test://static-text',
  'resources-read-binary': 'needs test://static-binary',
  'resources-templates-read': 'needs the test://template/{id}/data template',
  'resources-subscribe': 'needs test://watched-resource',
  'resources-unsubscribe': 'needs test://watched-resource',
  'prompts-list': 'no prompts',
  'prompts-get-simple': 'no prompts',
  'prompts-get-with-args': 'no prompts',
  'prompts-get-embedded-resource': 'no prompts',
  'prompts-get-with-image': 'no prompts',
};
const APPLICABLE = [
  'server-initialize',
  'ping',
  'tools-list',
  'tools-call-simple-text',
  'tools-call-error',
  'server-sse-multiple-streams',
  'resources-list',
  'dns-rebinding-protection',
];

// The two suites are independent: they run at the same time.
describe.concurrent('suites by others', () => {
  describe('official MCP conformance suite (server mode, HTTP, Node 22)', () => {
    it('passes every applicable scenario; the inapplicable ones are exactly the listed ones', async () => {
      const node = await nodeBinary(22);
      const url = await httpServer(node);
      const out = mkdtempSync(join(tmpdir(), 'mcp-conformance-'));
      try {
        const { stdout } = await run(
          node,
          [CONFORMANCE, 'server', '--url', url, '--suite', 'all', '-o', out],
          {
            timeout: 120_000,
            maxBuffer: 16 * 1024 * 1024,
          },
        ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
        outputs.push(stdout);
        const summary = stdout.slice(stdout.indexOf('=== SUMMARY ==='));
        const passed: string[] = [];
        const failed: string[] = [];
        for (const match of summary.matchAll(/^([✓✗]) (\S+): (\d+) passed, (\d+) failed/gmu)) {
          (match[1] === '✓' && match[4] === '0' ? passed : failed).push(match[2]!);
        }
        expect(passed.length + failed.length).toBeGreaterThan(20);
        expect(passed.sort()).toEqual([...APPLICABLE].sort());
        expect(failed.sort()).toEqual(Object.keys(INAPPLICABLE).sort());
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }, 180_000);
  });

  describe('MCP Inspector 2.x CLI (Node 24)', () => {
    async function inspector(node: string, target: string[], ...args: string[]) {
      // A tool's isError result makes the CLI exit non-zero with {"error": {...}} on stdout.
      const { stdout, stderr } = await run(node, [INSPECTOR, '--cli', ...target, ...args], {
        timeout: 60_000,
        env: { PATH: process.env['PATH'], HOME: home },
      }).catch((error: { stdout?: string; stderr?: string }) => ({
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
      }));
      outputs.push(stdout, stderr);
      return JSON.parse(stdout) as Record<string, unknown>;
    }
    const ok = (result: Record<string, unknown>) => {
      expect(result['isError']).toBeFalsy();
      return result['structuredContent'] as Record<string, unknown>;
    };

    it('over stdio and over HTTP: tools/list (--strict schema portability), and tools/call on every tool', async () => {
      const node = await nodeBinary(24);
      const stdio = [
        '-e',
        `CATALOG_API_KEY=${CANARY}`,
        '-e',
        `CATALOG_API_BASE_URL=${emulator.url}`,
        node,
        CLI,
      ];
      const http = [await httpServer(node)];
      const exercise = async (target: string[]) => {
        const call = (tool: string, ...toolArgs: string[]) =>
          inspector(node, target, '--method', 'tools/call', '--tool-name', tool, '--tool-arg', ...toolArgs);
        const tag = target === stdio ? 'stdio' : 'http';
        const [list, fastStart, longStart] = await Promise.all([
          // --strict: exit 6 on any error-severity schema portability problem.
          inspector(node, target, '--method', 'tools/list', '--strict'),
          call('start_crawl', `url=fast-inspector-${tag}.example`),
          call('start_crawl', `url=long-inspector-${tag}.example`),
        ]);
        expect((list['tools'] as { name: string }[]).map((t) => t.name)).toEqual([
          'start_crawl',
          'get_crawl_status',
          'wait_for_crawl',
          'cancel_crawl',
          'list_crawls',
          'get_crawl_results',
        ]);
        const fast = ok(fastStart)['execution_id'] as string;
        const long = ok(longStart)['execution_id'] as string;
        const [status, waited, canceled, listed, missing] = await Promise.all([
          call('get_crawl_status', `execution_id=${long}`),
          call('wait_for_crawl', `execution_id=${fast}`, 'wait_seconds=10'),
          call('cancel_crawl', `execution_id=${long}`),
          call('list_crawls', 'page_size=5', 'status=completed'),
          call('get_crawl_status', 'execution_id=crawl-missing-example-00000000'),
        ]);
        expect(ok(status)).toMatchObject({ execution_id: long });
        expect(ok(waited)).toMatchObject({ execution_id: fast, wait_outcome: 'completed' });
        expect(ok(canceled)).toMatchObject({ execution_id: long, outcome: expect.any(String) });
        expect(ok(listed)).toMatchObject({ status_filter: 'completed', pagination: { page_size: 5 } });
        const results = await call('get_crawl_results', `execution_id=${fast}`, 'page_size=5');
        expect(ok(results)).toMatchObject({ kind: 'listings', page: 1, page_size: 5 });
        // The CLI reports an isError result either as the result itself or as its own tool_is_error error.
        if ('error' in missing) expect(missing).toMatchObject({ error: { code: 'tool_is_error' } });
        else expect(JSON.stringify(missing)).toMatch(/"isError":true.*HTTP 404|HTTP 404.*"isError":true/);
        expect(list).not.toHaveProperty('error');
      };
      await Promise.all([exercise(stdio), exercise(http)]);
    }, 180_000);
  });
});
