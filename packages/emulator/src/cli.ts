#!/usr/bin/env node
import { parseCliArgs, USAGE, UsageError } from './cli-options.js';
import { DEFAULT_API_KEY, startEmulator } from './server.js';

async function main(): Promise<void> {
  let config: ReturnType<typeof parseCliArgs>;
  try {
    config = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`catalog-crawl-emulator: ${error.message} (see --help)\n`);
    process.exitCode = 2;
    return;
  }
  if (config.help) {
    process.stdout.write(USAGE);
    return;
  }
  const log = config.quiet ? undefined : (line: string) => process.stderr.write(`${line}\n`);
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    emulator = await startEmulator({ ...config.options, ...(log ? { log } : {}) });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `catalog-crawl-emulator: ${code === 'EADDRINUSE' ? `port ${config.options.port} is already in use` : message}\n`,
    );
    process.exitCode = error instanceof RangeError ? 2 : 1;
    return;
  }
  if (config.defaultKey) {
    process.stderr.write(
      `No --api-key given: accepting the default key ${DEFAULT_API_KEY} (org "default")\n`,
    );
  }
  process.stdout.write(`Catalog emulator listening on ${emulator.url}\n`);
  const stop = (signal: string) => {
    process.stderr.write(`Received ${signal}, shutting down\n`);
    emulator.close().then(
      () => {
        process.exitCode = 0;
      },
      () => {
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`catalog-crawl-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
