import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  cancelCommand,
  listCommand,
  type RawCancelOptions,
  type RawWaitOptions,
  startCommand,
  statusCommand,
  WAIT_DEFAULTS,
  WHEN_RUNNING_DEFAULT,
  waitCommand,
} from './commands.js';
import { CliContext, cliVersion, type GlobalOptions, type SignalSource } from './context.js';
import { DEMO_DEFAULTS, demoCommand } from './demo.js';
import { EXIT } from './exit-codes.js';
import { Output, type OutStream, Redactor, secretsFromArgv, shouldUseColor } from './output.js';
import { type RawResultsOptions, resultsCommand } from './results.js';

export interface RunOptions {
  stdout?: OutStream;
  stderr?: OutStream;
  env?: Record<string, string | undefined>;
  signals?: SignalSource;
  /** Called on a second Ctrl-C. Default `process.exit`. */
  forceExit?: (code: number) => void;
}

function positiveInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value)) || Number(value) < 1) {
      throw new InvalidArgumentError(`${name} must be a whole number of at least 1.`);
    }
    return Number(value);
  };
}

function addWaitOptions(command: Command): Command {
  return command
    .option(
      '--timeout <duration>',
      'give up waiting after this long (e.g. 90s, 15m, 2h)',
      WAIT_DEFAULTS.timeout,
    )
    .option(
      '--min-interval <duration>',
      'shortest time between two polls (at least 1s)',
      WAIT_DEFAULTS.minInterval,
    )
    .option('--max-interval <duration>', 'longest time between two polls', WAIT_DEFAULTS.maxInterval)
    .option('--stall-timeout <duration>', 'exit 7 when nothing changes for this long (default: off)')
    .option('--cancel-on-timeout', 'cancel the crawl on the server when --timeout passes')
    .option(
      '--cancel-on-abort',
      'cancel the crawl on the server on Ctrl-C or SIGTERM (default: leave it running)',
    )
    .option('--cancel-on-stall', 'cancel the crawl on the server when it stalls (needs --stall-timeout)')
    .option(
      '--cancel-wait <duration>',
      'how long those cancels keep trying while the crawl is pending (only running crawls can be cancelled)',
      WAIT_DEFAULTS.cancelWait,
    );
}

const EXIT_CODES_HELP = `
Exit codes:
  0  completed            6  canceled
  1  crawl failed         7  stalled (--stall-timeout)
  2  usage/invalid input  8  API unreachable
  3  auth (key/credits)   9  results: crawl not completed
  4  not found            10 cancel: not running yet (pending)
  5  timed out (--timeout) 11 output file could not be written
  130 Ctrl-C (crawl left running), 143 SIGTERM
With several ids, the highest code wins.

Environment: CATALOG_API_KEY, CATALOG_API_BASE_URL, NO_COLOR, FORCE_COLOR.`;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('catalog-crawl');
  const out = ctx.out;
  program
    .description('Start, watch, wait for and cancel Catalog API crawls from a terminal or any CI.')
    .version(cliVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--api-key <key>', 'Catalog API key (default: $CATALOG_API_KEY; prefer the variable)')
    .option(
      '--base-url <url>',
      'API base URL (default: $CATALOG_API_BASE_URL, else https://api.getcatalog.ai)',
    )
    .option('--json', 'print one JSON object per line on stdout, nothing else')
    .option('--debug', 'print stack traces and debug lines on stderr')
    .option('--no-color', 'no colours (also NO_COLOR=1; FORCE_COLOR=1 forces them)')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => {
        out.stdout.write(out.redactor.redact(text));
      },
      writeErr: (text) => {
        out.stderr.write(out.redactor.redact(text));
      },
      outputError: (text, write) => write(text),
    })
    .addHelpText('after', EXIT_CODES_HELP)
    .hook('preAction', (_program, action) => {
      ctx.globals = action.optsWithGlobals<GlobalOptions>();
      ctx.command = action.name();
      if (ctx.globals.apiKey) out.redactor.add(ctx.globals.apiKey);
    });

  addWaitOptions(
    program
      .command('start')
      .description('start a crawl of a vendor website; prints its execution id (with --wait, waits for it)')
      .argument('<url>', 'vendor website URL or bare domain, e.g. skims.com')
      .option('--wait', 'wait for the crawl to finish and exit with its outcome')
      .option(
        '--results <file>',
        "with --wait: save the crawl's listings to FILE once it completes (.jsonl, .csv or .json)",
      )
      .option('--format <format>', 'format of --results: jsonl, csv or json (default: from the extension)'),
  ).action(
    async (url: string, opts: RawWaitOptions & { wait?: boolean; results?: string; format?: string }) => {
      ctx.exitCode = await startCommand(ctx, url, opts);
    },
  );

  program
    .command('status')
    .description(
      'show a crawl once: status, steps, counts (exit 0 pending/running/completed, 1 failed, 6 canceled)',
    )
    .argument('<execution-id>', 'the execution id printed by `start`')
    .action(async (id: string) => {
      ctx.exitCode = await statusCommand(ctx, id);
    });

  addWaitOptions(
    program
      .command('wait')
      .description('wait for one or more crawls to finish, showing progress; exits with the outcome')
      .argument('<execution-id...>', 'one or more execution ids (waited for together)'),
  ).action(async (ids: string[], opts: RawWaitOptions) => {
    ctx.exitCode = await waitCommand(ctx, ids, opts);
  });

  program
    .command('cancel')
    .description(
      'cancel a running crawl (only running crawls can be cancelled: a pending one exits 10; one that already finished is not an error)',
    )
    .argument('[execution-id]', 'the execution id')
    .option(
      '--when-running [duration]',
      `if the crawl is still pending, wait for it to start (up to DURATION, default ${WHEN_RUNNING_DEFAULT}) and cancel it then`,
    )
    .option(
      '--min-interval <duration>',
      'with --when-running: shortest time between two polls',
      WAIT_DEFAULTS.minInterval,
    )
    .option(
      '--max-interval <duration>',
      'with --when-running: longest time between two polls',
      WAIT_DEFAULTS.maxInterval,
    )
    .action(async (id: string | undefined, opts: RawCancelOptions) => {
      ctx.exitCode = await cancelCommand(ctx, id, opts);
    });

  program
    .command('results')
    .description(
      "stream a vendor's listings (or collections) as JSON Lines, CSV or JSON; for an execution id, its vendor's once it completed",
    )
    .argument(
      '<vendor|execution-id>',
      'a vendor hostname as a crawl reports it (e.g. skims.com), or the execution id of a completed crawl',
    )
    .option('--collections', 'read collections instead of listings')
    .option('--format <format>', 'jsonl, csv or json (default: from the --out extension, else jsonl)')
    .option('--out <file>', 'write to FILE (written whole on success) instead of stdout')
    .option('--limit <n>', 'stop after N items', positiveInt('--limit'))
    .option(
      '--updated-since-start',
      'execution id only: items updated since the crawl started (an approximation, labelled as such)',
    )
    .option(
      '--new-since-start',
      'execution id only: listings first seen since the crawl started (an approximation, labelled as such)',
    )
    .addHelpText(
      'after',
      `
stdout carries only the data (pipe it into jq); messages and the progress bar go to stderr.
Examples:
  catalog-crawl results skims.com | jq -r .name
  catalog-crawl results skims.com --format csv --out skims.csv
  catalog-crawl results <execution-id> --new-since-start --out new.jsonl`,
    )
    .action(async (target: string, opts: RawResultsOptions) => {
      ctx.exitCode = await resultsCommand(ctx, target, opts);
    });

  program
    .command('list')
    .description('list recent crawls, newest first')
    .addOption(
      new Option('--status <status>', 'only crawls with this status').choices([
        'processing',
        'completed',
        'failed',
      ]),
    )
    .option('--page <n>', 'page number', positiveInt('--page'), 1)
    .option('--page-size <n>', 'crawls per page', positiveInt('--page-size'), 20)
    .action(
      async (opts: { status?: 'processing' | 'completed' | 'failed'; page: number; pageSize: number }) => {
        ctx.exitCode = await listCommand(ctx, opts);
      },
    );

  program
    .command('demo')
    .description('run a sped-up crawl against an in-process emulator: no key, no network')
    .option('--duration <duration>', 'about how long the demo crawl takes here', DEMO_DEFAULTS.duration)
    .option('--vendor <host>', 'sample vendor to crawl', DEMO_DEFAULTS.vendor)
    .action(async (opts: { duration: string; vendor: string }) => {
      ctx.exitCode = await demoCommand(ctx, opts);
    });

  return program;
}

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit code. */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const redactor = new Redactor();
  for (const secret of secretsFromArgv(argv, env)) redactor.add(secret);
  const noColorFlag = argv.includes('--no-color') ? false : undefined;
  const out = new Output(stdout, stderr, redactor, {
    color: shouldUseColor(stdout, env, noColorFlag),
    errColor: shouldUseColor(stderr, env, noColorFlag),
  });
  const ctx = new CliContext({
    out,
    env,
    signals: options.signals ?? process,
    forceExit: options.forceExit ?? ((code) => process.exit(code)),
  });
  const program = buildProgram(ctx);
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.USAGE;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; every parse error is a usage error.
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (ctx.globals.json === undefined && argv.includes('--json')) ctx.globals.json = true;
    if (ctx.globals.debug === undefined && argv.includes('--debug')) ctx.globals.debug = true;
    return ctx.reportError(error);
  }
}
