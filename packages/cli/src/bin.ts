#!/usr/bin/env node
import { run } from './cli.js';

const code = await run(process.argv.slice(2));
process.exitCode = code;
// Leave promptly even if a keep-alive socket or timer lingers; stdout/stderr writes to pipes, files and
// terminals are synchronous on POSIX, so nothing is lost.
setTimeout(() => process.exit(code), 500).unref();
