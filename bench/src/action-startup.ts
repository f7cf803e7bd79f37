/**
 * Benchmark 2: start-up of the built Action bundle, run as the runner runs it, against an emulator crawl that
 * is already complete, alternating with `node -e 0`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogClient } from '@catalog-crawl/core';
import { DEFAULT_API_KEY, startEmulator } from '@catalog-crawl/emulator';
import { parseActionYml, runnerDefaults } from '@catalog-crawl/test-kit';
import { machineInfo } from './lib/machine.js';
import { repoPath } from './lib/paths.js';
import { type Check, isMain, runAsCommand, type Target } from './lib/report.js';
import { fmt, median, table } from './lib/stats.js';

export const RUNS = 15;
const TIME_BIN = '/usr/bin/time';
const ACTION_DIR = repoPath('packages', 'action');
const BUNDLE = join(ACTION_DIR, 'dist', 'index.js');

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
async function measure(args: string[], env: NodeJS.ProcessEnv, scratch: string): Promise<Measured> {
  const useTime = existsSync(TIME_BIN);
  const rssFile = join(scratch, 'rss.txt');
  const wrapper = join(scratch, 'wrapper.mjs');
  const [command, commandArgs] = useTime
    ? [TIME_BIN, ['-f', '%M', '-o', rssFile, process.execPath, ...args]]
    : [process.execPath, [wrapper, ...args]];
  if (!useTime) {
    // Fallback: a wrapper that runs the child and prints its maxRSS (resourceUsage of the children, KiB).
    writeFileSync(
      wrapper,
      `import { spawnSync } from 'node:child_process'; import { writeFileSync } from 'node:fs';
const r = spawnSync(process.execPath, process.argv.slice(2), { stdio: 'inherit' });
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
      const a = await measure([BUNDLE], actionEnv, scratch);
      const outcome = readOutput(files.GITHUB_OUTPUT, 'outcome') ?? '(none)';
      const b = await measure(['-e', '0'], baseEnv, scratch);
      resetFiles();
      const c = await measure([BUNDLE], inputErrorEnv, scratch);
      const d = await measure(['-e', fetchScript], baseEnv, scratch);
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

    const aWall = median(action.map((r) => r.wallMs));
    const bWall = median(bare.map((r) => r.wallMs));
    const cWall = median(inputError.map((r) => r.wallMs));
    const cRss = median(inputError.map((r) => r.maxRssKiB));
    const aRss = median(action.map((r) => r.maxRssKiB));
    const bRss = median(bare.map((r) => r.maxRssKiB));
    const wallRatio = aWall / bWall;
    const rssRatio = aRss / bRss;
    const bundleKiB = statSync(BUNDLE).size / 1024;
    const distJsKiB = dirSizeBytes(join(ACTION_DIR, 'dist'), (n) => /\.(c|m)?js$/.test(n)) / 1024;
    const distFiles = (readdirSync(join(ACTION_DIR, 'dist'), { recursive: true }) as string[]).length;

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
        name: 'Action start-up wall time at most 2x `node -e 0`',
        met: wallRatio <= 2,
        statement: `median ${fmt(aWall)} ms vs ${fmt(bWall)} ms: ${fmt(wallRatio, 2)}x (${wallRatio <= 2 ? `${fmt((2 - wallRatio) * bWall)} ms within the limit` : `${fmt((wallRatio - 2) * bWall)} ms over the limit`}).`,
      },
      {
        name: 'Action peak memory at most 2x `node -e 0`',
        met: rssRatio <= 2,
        statement: `median peak RSS ${fmt(aRss / 1024)} MiB vs ${fmt(bRss / 1024)} MiB: ${fmt(rssRatio, 2)}x.`,
      },
    ];
    const m = machineInfo();
    const method = `
Command: \`node bench/dist/action-startup.js\`.

- The built bundle \`packages/action/dist/index.js\` is run with \`node\` (${m.node} here; the runner uses
  node24) the way the runner runs a step: every input of \`action.yml\` as \`INPUT_<NAME>\` with its dashes kept
  (defaults read from \`action.yml\`, \`execution-id\` and \`api-base-url\` set, \`url\` empty, a placeholder
  \`github-token\`), \`GITHUB_OUTPUT\` / \`GITHUB_STATE\` / \`GITHUB_STEP_SUMMARY\` / \`GITHUB_ENV\` /
  \`GITHUB_PATH\` as empty temp files, and the usual \`GITHUB_*\` / \`RUNNER_*\` variables. Main step only.
- The crawl: an emulator in the benchmark's process (loopback, manual clock), a \`fast.example\` crawl
  started through the core client and the clock advanced 10 min, so it is \`completed\` before the first run:
  the Action polls once, writes its outputs and summary and exits.
- Baseline: \`node -e 0\` with a minimal environment. ${RUNS} runs each, alternating (Action, baseline, and
  for reference the Action with an empty \`api-key\`, which stops at input validation before any request:
  what loading the bundle costs; and bare node doing the one GET the Action does with Node's \`fetch\`), after
  one discarded warm-up of each.
- Wall time: from \`spawn\` to the child's exit, measured in this process. Peak memory:
  ${existsSync(TIME_BIN) ? '`/usr/bin/time -f %M` (maximum resident set size, KiB); both commands run under it, so its small fork/exec cost is in both wall times' : 'a wrapper that runs the child with spawnSync and reads its own `process.resourceUsage().maxRSS` (which covers the waited-for children)'}.
- Figures are medians; the ratios divide the Action's median by the baseline's.
`;
    const figures = [
      table(
        ['command', 'wall time median (ms)', 'min – max (ms)', 'peak RSS median (MiB)'],
        [
          [
            'Action bundle (complete crawl)',
            fmt(aWall),
            `${fmt(Math.min(...action.map((r) => r.wallMs)))} – ${fmt(Math.max(...action.map((r) => r.wallMs)))}`,
            fmt(aRss / 1024),
          ],
          [
            '`node -e 0`',
            fmt(bWall),
            `${fmt(Math.min(...bare.map((r) => r.wallMs)))} – ${fmt(Math.max(...bare.map((r) => r.wallMs)))}`,
            fmt(bRss / 1024),
          ],
          ['ratio Action / `node -e 0`', `${fmt(wallRatio, 2)}x`, '', `${fmt(rssRatio, 2)}x`],
          [
            'Action bundle, empty `api-key` (stops at input validation, no request; for reference)',
            fmt(cWall),
            `${fmt(Math.min(...inputError.map((r) => r.wallMs)))} – ${fmt(Math.max(...inputError.map((r) => r.wallMs)))}`,
            fmt(cRss / 1024),
          ],
          [
            '`node -e "fetch(<the crawl>)"`: one GET with Node\'s fetch (for reference)',
            fmt(median(oneFetch.map((r) => r.wallMs))),
            `${fmt(Math.min(...oneFetch.map((r) => r.wallMs)))} – ${fmt(Math.max(...oneFetch.map((r) => r.wallMs)))}`,
            fmt(median(oneFetch.map((r) => r.maxRssKiB)) / 1024),
          ],
        ],
      ),
      '',
      `Bundle: \`dist/index.js\` ${fmt(bundleKiB)} KiB; all JavaScript in \`dist/\` ${fmt(distJsKiB)} KiB (${distFiles} files in \`dist/\`).`,
    ].join('\n');
    return {
      id: 'action-startup',
      title: '2. Action start-up',
      method,
      figures,
      targets,
      checks,
      notes: [
        `Where the time goes: loading the bundle and failing at input validation takes ${fmt(cWall)} ms ` +
          `(${fmt(cWall / bWall, 2)}x \`node -e 0\`, ${fmt(cRss / 1024)} MiB); bare node doing the Action's one GET with ` +
          `Node's \`fetch\` takes ${fmt(median(oneFetch.map((r) => r.wallMs)))} ms ` +
          `(${fmt(median(oneFetch.map((r) => r.wallMs)) / bWall, 2)}x, ${fmt(median(oneFetch.map((r) => r.maxRssKiB)) / 1024)} MiB): on Node ${process.versions.node} ` +
          'the first `fetch` loads and compiles its bundled undici, so no process that polls once with the global ' +
          '`fetch` can come within 2x of `node -e 0` here. The runner uses node24, whose start-up and fetch may differ.',
      ],
    };
  } finally {
    await emulator.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await runAsCommand(run);
