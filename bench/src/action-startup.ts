/**
 * Benchmark 2: start-up of the built Action bundle, run as the runner runs it (on Node 24, the runner's Node),
 * against an emulator crawl that is already complete, alternating with `node -e 0` and with bare Node doing the
 * same one GET with `fetch` (the floor).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogClient } from '@catalog-crawl/core';
import { DEFAULT_API_KEY, startEmulator } from '@catalog-crawl/emulator';
import { parseActionYml, runnerDefaults } from '@catalog-crawl/test-kit';
import { repoPath } from './lib/paths.js';
import { registryNode } from './lib/registry-node.js';
import { type Check, isMain, runAsCommand, type Target } from './lib/report.js';
import { fmt, median, table } from './lib/stats.js';

export const RUNS = 25;
const TIME_BIN = '/usr/bin/time';
const ACTION_DIR = repoPath('packages', 'action');
const BUNDLE = join(ACTION_DIR, 'dist', 'index.js');

/**
 * The Node binary to run the Action with: Node 24 (the runner's `node24`) from the npm registry through `npx`,
 * resolved once (each `npx` call costs ~1 s, which must not be in the timings). BENCH_ACTION_NODE overrides it.
 */
export function resolveRunnerNode(): string {
  return process.env['BENCH_ACTION_NODE'] || registryNode(24);
}

/** Static imports of a bundle chunk (`from"./x.js"`), i.e. what loading it loads; dynamic import() excluded. */
export function staticChunks(dir: string, entry: string): string[] {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  while (queue.length > 0) {
    const text = readFileSync(join(dir, queue.shift()!), 'utf8');
    for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*["']\.\/([^"']+)["']/g)) {
      const name = m[1]!;
      if (!seen.has(name)) {
        seen.add(name);
        queue.push(name);
      }
    }
  }
  return [...seen];
}

/** The inputs' defaults from action.yml, as the runner passes them (the runner passes every input). */
export function actionDefaults(yml: string): Record<string, string> {
  return runnerDefaults(parseActionYml(yml));
}

interface Measured {
  wallMs: number;
  maxRssKiB: number;
  code: number | null;
}

/** Runs `node args` (under /usr/bin/time when present, for the peak RSS), timing spawn to exit. */
async function measure(
  node: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  scratch: string,
): Promise<Measured> {
  const useTime = existsSync(TIME_BIN);
  const rssFile = join(scratch, 'rss.txt');
  const wrapper = join(scratch, 'wrapper.mjs');
  const [command, commandArgs] = useTime
    ? [TIME_BIN, ['-f', '%M', '-o', rssFile, node, ...args]]
    : [process.execPath, [wrapper, node, ...args]];
  if (!useTime) {
    // Fallback: a wrapper that runs the child and prints its maxRSS (resourceUsage of the children, KiB).
    writeFileSync(
      wrapper,
      `import { spawnSync } from 'node:child_process'; import { writeFileSync } from 'node:fs';
const r = spawnSync(process.argv[2], process.argv.slice(3), { stdio: 'inherit' });
writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS));
process.exit(r.status ?? 1);`,
    );
  }
  const started = performance.now();
  const code = await new Promise<number | null>((resolve, reject) => {
    const stdio = process.env['BENCH_DEBUG'] ? 'inherit' : 'ignore';
    const child = spawn(command, commandArgs as string[], { env, stdio: ['ignore', stdio, stdio] });
    child.on('error', reject);
    child.on('exit', (c) => resolve(c));
  });
  const wallMs = performance.now() - started;
  const maxRssKiB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
  return { wallMs, maxRssKiB, code };
}

function dirSizeBytes(dir: string, filter: (name: string) => boolean): number {
  let total = 0;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    if (statSync(path).isFile() && filter(name)) total += statSync(path).size;
  }
  return total;
}

function readOutput(file: string, name: string): string | undefined {
  const text = readFileSync(file, 'utf8');
  const match = new RegExp(`^${name}<<(.+)\\n([\\s\\S]*?)\\n?\\1$`, 'm').exec(text);
  if (match) return match[2];
  return new RegExp(`^${name}=(.*)$`, 'm').exec(text)?.[1];
}

export async function run() {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: build the action first`);
  const node = resolveRunnerNode();
  const nodeVersion = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const emulator = await startEmulator({ manualClock: true });
  const scratch = mkdtempSync(join(tmpdir(), 'bench-action-'));
  try {
    const client = new CatalogClient({ apiKey: DEFAULT_API_KEY, baseUrl: emulator.url });
    const started = await client.startCrawl({ url: 'fast.example' });
    emulator.clock.advance(10 * 60_000);
    const before = await client.getCrawl(started.executionId);

    const defaults = actionDefaults(readFileSync(join(ACTION_DIR, 'action.yml'), 'utf8'));
    const inputs: Record<string, string> = {
      ...defaults,
      'github-token': 'ghs_bench_placeholder_token_not_used',
      'api-key': DEFAULT_API_KEY,
      'api-base-url': emulator.url,
      'execution-id': started.executionId,
      url: '',
    };
    const eventPath = join(scratch, 'event.json');
    writeFileSync(eventPath, '{}\n');
    const files = {
      GITHUB_OUTPUT: join(scratch, 'output'),
      GITHUB_STATE: join(scratch, 'state'),
      GITHUB_STEP_SUMMARY: join(scratch, 'summary.md'),
      GITHUB_ENV: join(scratch, 'env'),
      GITHUB_PATH: join(scratch, 'path'),
    };
    const baseEnv: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? scratch,
    };
    const actionEnv: NodeJS.ProcessEnv = {
      ...baseEnv,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REPOSITORY: 'bench/catalog-crawl',
      GITHUB_REPOSITORY_OWNER: 'bench',
      GITHUB_WORKFLOW: 'bench',
      GITHUB_JOB: 'crawl',
      GITHUB_RUN_ID: '1',
      GITHUB_RUN_NUMBER: '1',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_ACTOR: 'bench',
      GITHUB_SHA: '0000000000000000000000000000000000000000',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: 'https://api.github.com',
      GITHUB_WORKSPACE: scratch,
      RUNNER_TEMP: scratch,
      RUNNER_OS: 'Linux',
      ...files,
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    };
    const resetFiles = () => {
      for (const f of Object.values(files)) writeFileSync(f, '');
    };

    // The same bundle with an empty `api-key`: it stops at input validation, before any request, which
    // separates the cost of loading the bundle from the cost of the poll.
    const inputErrorEnv: NodeJS.ProcessEnv = { ...actionEnv, 'INPUT_API-KEY': '' };
    const action: Measured[] = [];
    const bare: Measured[] = [];
    const inputError: Measured[] = [];
    const oneFetch: Measured[] = [];
    // Reference: bare node doing the one GET the Action does (Node's fetch loads its bundled undici lazily).
    const fetchScript = `fetch(${JSON.stringify(`${emulator.url}/v2/crawl/${started.executionId}`)}, { headers: { 'x-api-key': ${JSON.stringify(DEFAULT_API_KEY)} } }).then((r) => r.text())`;
    const outcomes: string[] = [];
    let badExits = 0;
    // One discarded warm-up of each (page cache), then alternate.
    for (let i = -1; i < RUNS; i++) {
      resetFiles();
      const a = await measure(node, [BUNDLE], actionEnv, scratch);
      const outcome = readOutput(files.GITHUB_OUTPUT, 'outcome') ?? '(none)';
      const b = await measure(node, ['-e', '0'], baseEnv, scratch);
      resetFiles();
      const c = await measure(node, [BUNDLE], inputErrorEnv, scratch);
      const d = await measure(node, ['-e', fetchScript], baseEnv, scratch);
      if (i < 0) continue;
      oneFetch.push(d);
      action.push(a);
      bare.push(b);
      inputError.push(c);
      outcomes.push(outcome);
      if (a.code !== 0 || b.code !== 0) badExits++;
    }
    const summaryText = readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8');
    const outputText = readFileSync(files.GITHUB_OUTPUT, 'utf8');
    const keyLeaked = [summaryText, outputText].some((t) => t.includes(DEFAULT_API_KEY));

    const wall = (rs: Measured[]) => median(rs.map((r) => r.wallMs));
    const rss = (rs: Measured[]) => median(rs.map((r) => r.maxRssKiB));
    const span = (rs: Measured[]) =>
      `${fmt(Math.min(...rs.map((r) => r.wallMs)))} – ${fmt(Math.max(...rs.map((r) => r.wallMs)))}`;
    const aWall = wall(action);
    const bWall = wall(bare);
    const cWall = wall(inputError);
    const fWall = wall(oneFetch);
    const floorRatio = aWall / fWall;
    const distDir = join(ACTION_DIR, 'dist');
    const kib = (names: string[]) => names.reduce((t, n) => t + statSync(join(distDir, n)).size, 0) / 1024;
    const jsFiles = (readdirSync(distDir) as string[]).filter((n) => /\.(c|m)?js$/.test(n));
    const startup = staticChunks(distDir, 'index.js');
    const onDemand = jsFiles.filter((n) => !startup.includes(n));
    const bundleKiB = kib(jsFiles);
    const distJsKiB = dirSizeBytes(distDir, (n) => /\.(c|m)?js$/.test(n)) / 1024;

    const checks: Check[] = [
      {
        name: 'the crawl was complete before the runs',
        ok: before.status === 'completed',
        detail: `GET before the runs: ${before.status}`,
      },
      {
        name: `every Action run exited 0 with output outcome=completed`,
        ok: badExits === 0 && outcomes.every((o) => o === 'completed'),
        detail: `${RUNS - badExits}/${RUNS} exited 0 (both commands); outcomes: ${[...new Set(outcomes)].join(', ')}`,
      },
      {
        name: 'a job summary was written and the API key appears in neither outputs nor summary',
        ok: summaryText.trim().length > 0 && !keyLeaked,
        detail: `summary ${summaryText.length} chars; key ${keyLeaked ? 'LEAKED' : 'absent'}`,
      },
    ];
    const targets: Target[] = [
      {
        name: 'Action start-up on Node 24 at most 1.4x bare Node 24 doing the same one GET with `fetch`',
        met: floorRatio <= 1.4,
        statement: `median ${fmt(aWall)} ms vs ${fmt(fWall)} ms: ${fmt(floorRatio, 2)}x (${floorRatio <= 1.4 ? `${fmt((1.4 - floorRatio) * fWall)} ms within the limit` : `${fmt((floorRatio - 1.4) * fWall)} ms over the limit`}).`,
      },
    ];
    const method = `
Command: \`node bench/dist/action-startup.js\`.

- Every command runs on **${nodeVersion}**, the runner's \`node24\`, fetched once from the npm registry
  (\`npx -y node@24\`, binary path resolved before the runs so \`npx\` is not timed; \`BENCH_ACTION_NODE\`
  overrides it).
- The built bundle \`packages/action/dist/index.js\` is run the way the runner runs a step: every input of
  \`action.yml\` as \`INPUT_<NAME>\` with its dashes kept (defaults read from \`action.yml\`, \`execution-id\` and
  \`api-base-url\` set, \`url\` empty, a placeholder \`github-token\`), \`GITHUB_OUTPUT\` / \`GITHUB_STATE\` /
  \`GITHUB_STEP_SUMMARY\` / \`GITHUB_ENV\` / \`GITHUB_PATH\` as empty temp files, and the usual \`GITHUB_*\` /
  \`RUNNER_*\` variables. Main step only.
- The crawl: an emulator in the benchmark's process (loopback, manual clock), a \`fast.example\` crawl
  started through the core client and the clock advanced 10 min, so it is \`completed\` before the first run:
  the Action polls once, writes its outputs and summary and exits.
- Side by side, ${RUNS} runs each, alternating, after one discarded warm-up of each: the Action; \`node -e 0\`
  (minimal environment); the Action with an empty \`api-key\` (stops at input validation before any request:
  what loading the bundle costs); and **the floor**: bare Node doing the one GET the Action does with
  Node's global \`fetch\` and reading the body.
- Wall time: from \`spawn\` to the child's exit, measured in this process. Peak memory:
  ${existsSync(TIME_BIN) ? '`/usr/bin/time -f %M` (maximum resident set size, KiB); every command runs under it, so its small fork/exec cost is in every wall time' : 'a wrapper that runs the child with spawnSync and reads its own `process.resourceUsage().maxRSS` (which covers the waited-for children)'}.
- Figures are medians; the target divides the Action's median by the floor's.
`;
    const figures = [
      table(
        [
          'command (Node 24)',
          'wall time median (ms)',
          'min – max (ms)',
          'peak RSS median (MiB)',
          'vs bare GET',
        ],
        [
          [
            'Action bundle (complete crawl)',
            fmt(aWall),
            span(action),
            fmt(rss(action) / 1024),
            `${fmt(floorRatio, 2)}x`,
          ],
          [
            'bare GET: `node -e "fetch(<the crawl>)"` (the floor)',
            fmt(fWall),
            span(oneFetch),
            fmt(rss(oneFetch) / 1024),
            '1.00x',
          ],
          ['`node -e 0`', fmt(bWall), span(bare), fmt(rss(bare) / 1024), `${fmt(bWall / fWall, 2)}x`],
          [
            'Action bundle, empty `api-key` (stops at input validation, no request)',
            fmt(cWall),
            span(inputError),
            fmt(rss(inputError) / 1024),
            `${fmt(cWall / fWall, 2)}x`,
          ],
        ],
      ),
      '',
      `Bundle: index.js + chunks ${fmt(bundleKiB)} KiB of JavaScript (${jsFiles.length} files; ${fmt(distJsKiB)} KiB with any in subfolders). ` +
        `Loaded at start-up (index.js and its static imports): ${startup.map((n) => `\`${n}\``).join(', ')}, ${fmt(kib(startup))} KiB. ` +
        `Loaded on demand (dynamic import): ${onDemand.map((n) => `\`${n}\` ${fmt(kib([n]))}`).join(', ') || 'none'} KiB.`,
    ].join('\n');
    return {
      id: 'action-startup',
      title: '2. Action start-up',
      method,
      figures,
      targets,
      checks,
      notes: [
        `Where the time goes: \`node -e 0\` ${fmt(bWall)} ms; loading the bundle and stopping at input validation ` +
          `${fmt(cWall)} ms (+${fmt(cWall - bWall)} ms); the Action's whole run ${fmt(aWall)} ms (+${fmt(aWall - cWall)} ms for ` +
          `its one GET, outputs and summary). The bare GET costs ${fmt(fWall - bWall)} ms over \`node -e 0\`: the ` +
          "first global `fetch` loads and compiles Node's bundled undici, which no process that polls can avoid.",
      ],
    };
  } finally {
    await emulator.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await runAsCommand(run);
