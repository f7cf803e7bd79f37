import { type CatalogClient, formatCount } from '@catalog-crawl/core';
import { demoSummary } from './commands.js';
import type { CliContext } from './context.js';
import { EXIT, UsageError } from './exit-codes.js';
import { safeText } from './format.js';
import type { Colors } from './output.js';
import { waitMany } from './wait-many.js';

export interface DemoOptions {
  /** How long the demo crawl should take here, with a unit. Default `30s`. */
  duration: string;
  /** The sample vendor to crawl. Default `skims.com`. */
  vendor: string;
}

export const DEMO_DEFAULTS = { duration: '30s', vendor: 'skims.com' } as const;

/**
 * The emulator is an optional peer dependency: only the demo needs it, so a production install of the CLI does
 * not carry it. When it is missing, say how to get it instead of failing on a module-not-found trace.
 */
async function loadEmulator(): Promise<typeof import('@catalog-crawl/emulator')> {
  try {
    return await import('@catalog-crawl/emulator');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (
      code !== 'ERR_MODULE_NOT_FOUND' ||
      !String((error as Error).message).includes('@catalog-crawl/emulator')
    ) {
      throw error;
    }
    throw new UsageError(
      'The demo runs the Catalog API emulator, an optional package that is not installed here. Install it next to the CLI (npm install @catalog-crawl/emulator), or run: npx -p @catalog-crawl/cli -p @catalog-crawl/emulator catalog-crawl demo',
    );
  }
}

/**
 * `catalog-crawl demo`: runs the emulator in-process on a free loopback port, starts a crawl of a sample vendor
 * sped up so that it ends in about `duration`, shows the same live wait as `catalog-crawl wait`, then a short
 * result. Needs no key and no network.
 */
export async function demoCommand(ctx: CliContext, options: DemoOptions): Promise<number> {
  const { CatalogClient, formatDuration, NOT_FOUND_GRACE_MS, parseDuration, validateCrawlUrl } = await import(
    '@catalog-crawl/core'
  );
  const targetMs = parseDuration(options.duration, '--duration');
  if (targetMs < 1000) throw new UsageError('--duration must be at least 1s.');
  const vendor = validateCrawlUrl(options.vendor);
  const { startEmulator, DEFAULT_API_KEY } = await loadEmulator();

  // A crawl's simulated duration depends only on the host (and the seed), not on the speed: measure it on a
  // throwaway emulator, then start the real one at the speed that makes it last about `targetMs`.
  const probe = await startEmulator({ host: '127.0.0.1', port: 0 });
  let plannedMs: number;
  try {
    plannedMs = probe.plannedDurationMs(vendor);
  } finally {
    await probe.close();
  }
  const speed = Math.max(1, plannedMs / targetMs);
  const emulator = await startEmulator({ host: '127.0.0.1', port: 0, speed });
  // Human lines go to stdout, or to stderr with --json so that stdout stays JSON only.
  const say = (text = '') => (ctx.json ? ctx.out.errLine(text) : ctx.out.line(text));
  const c = ctx.json ? ctx.out.errColors : ctx.out.colors;
  try {
    say(c.bold('catalog-crawl demo'));
    say(`Catalog API emulator running in-process at ${emulator.url} (no key, no network needed).`);
    say(
      `Crawling ${vendor}: about ${formatDuration(plannedMs)} on the real API, sped up ${Math.round(speed)}x to about ${formatDuration(targetMs)}.`,
    );
    say();
    const client = new CatalogClient({ apiKey: DEFAULT_API_KEY, baseUrl: emulator.url });
    const started = await client.startCrawl({ url: vendor });
    if (ctx.json) {
      ctx.out.json({
        type: 'started',
        executionId: started.executionId,
        status: started.status,
        url: vendor,
      });
    } else {
      say(`Started crawl ${c.bold(started.executionId)}`);
    }
    const maxIntervalMs = Math.min(3000, Math.max(1000, Math.round(targetMs / 10)));
    const { exitCode, finishes } = await waitMany(ctx, client, [started.executionId], {
      timeoutMs: Math.max(60_000, targetMs * 4),
      minIntervalMs: 1000,
      maxIntervalMs,
      notFoundGraceMs: NOT_FOUND_GRACE_MS,
    });
    const finish = finishes[0];
    say();
    if (exitCode === EXIT.OK) {
      for (const line of demoSummary(finish?.crawl, finish?.elapsedMs ?? 0, plannedMs)) say(line);
      say();
      await showFirstListings(client, vendor, say, c);
      say();
      say(c.bold('Next, on the real API:'));
      say('  export CATALOG_API_KEY=<your key>');
      say(`  catalog-crawl start ${vendor} --wait      # start a crawl and watch it to the end`);
      say('  catalog-crawl wait <execution-id>         # wait for a crawl started elsewhere');
      say(`  catalog-crawl results ${vendor} --out listings.csv   # save what it found`);
      say('  catalog-crawl --help');
    } else {
      say(`The demo crawl did not complete (exit code ${exitCode}).`);
    }
    return exitCode;
  } finally {
    await emulator.close();
  }
}

/** How many listings the demo shows at the end. */
export const DEMO_LISTINGS = 5;

/** The demo's last lines: the first few listings the crawl found (read through the results endpoint). */
async function showFirstListings(
  client: CatalogClient,
  vendor: string,
  say: (text?: string) => void,
  c: Colors,
): Promise<void> {
  const { listListings } = await import('@catalog-crawl/core');
  const results = listListings(client, vendor, { pageSize: DEMO_LISTINGS });
  const first = [];
  for await (const listing of results) {
    first.push(listing);
    if (first.length >= DEMO_LISTINGS) break;
  }
  if (first.length === 0) {
    say('No listings are readable for it yet.');
    return;
  }
  say(c.bold(`First ${first.length} listings found:`));
  for (const listing of first) {
    const price =
      listing.price?.currentValue !== undefined
        ? `${listing.price.currentValue.toFixed(2)} ${safeText(listing.price.currency ?? '', 3)}`.trim()
        : '';
    say(
      `  ${safeText(listing.name ?? listing.id, 40).padEnd(40)}  ${price.padStart(10)}  ${c.dim(safeText(listing.url, 70))}`,
    );
  }
  const total = results.stats.totalItems;
  if (total !== undefined && total > first.length)
    say(c.dim(`  ... and ${formatCount(total - first.length)} more`));
}
