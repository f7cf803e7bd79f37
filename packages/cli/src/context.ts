import { readFileSync } from 'node:fs';
import {
  type CatalogClient,
  DEFAULT_BASE_URL,
  readEnv,
  type SignalSource,
  validateApiKey,
  validateBaseUrl,
} from '@catalog-crawl/core';
import { debugDetails, describeError } from './errors.js';
import { MissingApiKeyError } from './exit-codes.js';
import type { Output } from './output.js';
import { JsonReporter } from './render/json.js';
import { createLiveReporter } from './render/live.js';
import { PlainReporter } from './render/plain.js';
import type { WaitReporter } from './render/reporter.js';

/** Something that delivers SIGINT/SIGTERM (the process, or a fake in tests): core's interrupt source. */
export type { SignalSource } from '@catalog-crawl/core';

export interface GlobalOptions {
  apiKey?: string;
  baseUrl?: string;
  json?: boolean;
  debug?: boolean;
  color?: boolean;
}

let cachedVersion: string | undefined;
export function cliVersion(): string {
  if (cachedVersion) return cachedVersion;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    cachedVersion = pkg.version ?? '0.0.0';
  } catch {
    cachedVersion = '0.0.0';
  }
  return cachedVersion;
}

/** What every command gets: the output, the environment, the global options and a client factory. */
export class CliContext {
  readonly out: Output;
  readonly env: Record<string, string | undefined>;
  readonly signals: SignalSource;
  /** Called on a second Ctrl-C to leave at once. */
  readonly forceExit: (code: number) => void;
  globals: GlobalOptions = {};
  /** Set by the command actions: the exit code of the command. */
  exitCode = 0;
  /** The command being run, for hints. */
  command: string | undefined;
  /** Set while `results` streams data to stdout: JSON errors then go to stderr, so stdout stays data only. */
  dataOnStdout = false;

  constructor(options: {
    out: Output;
    env: Record<string, string | undefined>;
    signals: SignalSource;
    forceExit: (code: number) => void;
  }) {
    this.out = options.out;
    this.env = options.env;
    this.signals = options.signals;
    this.forceExit = options.forceExit;
  }

  get json(): boolean {
    return this.globals.json === true;
  }

  get debug(): boolean {
    return this.globals.debug === true;
  }

  get baseUrl(): string {
    const flag = this.globals.baseUrl?.trim();
    const value = flag || readEnv(this.env).baseUrl || DEFAULT_BASE_URL;
    return validateBaseUrl(value, '--base-url (or CATALOG_API_BASE_URL)');
  }

  apiKey(): string {
    const raw = this.globals.apiKey ?? readEnv(this.env).apiKey ?? '';
    if (raw.trim() === '') throw new MissingApiKeyError();
    this.out.redactor.add(raw);
    this.out.redactor.add(raw.trim());
    return validateApiKey(raw, '--api-key (or CATALOG_API_KEY)');
  }

  async client(): Promise<CatalogClient> {
    const apiKey = this.apiKey();
    const baseUrl = this.baseUrl;
    const { CatalogClient } = await import('@catalog-crawl/core');
    this.debugLine(`base URL ${baseUrl}`);
    return new CatalogClient({ apiKey, baseUrl, userAgent: `catalog-crawl-cli/${cliVersion()}` });
  }

  /** The display for waits: JSON lines, a live terminal display, or plain lines. */
  async reporter(): Promise<WaitReporter> {
    if (this.json) return new JsonReporter(this.out);
    if (this.out.isTTY) return createLiveReporter(this.out);
    return new PlainReporter(this.out);
  }

  get reporterKind(): 'json' | 'live' | 'plain' {
    return this.json ? 'json' : this.out.isTTY ? 'live' : 'plain';
  }

  debugLine(text: string): void {
    if (this.debug) this.out.errLine(this.out.errColors.dim(`debug: ${text}`));
  }

  /**
   * Prints an error: one or two lines on stderr (stack with --debug), and a JSON object with --json (on stdout,
   * or on stderr while stdout carries `results` data).
   */
  reportError(error: unknown, extra: { executionId?: string } = {}): number {
    const described = describeError(error, { baseUrl: this.safeBaseUrl(), command: this.command });
    const c = this.out.errColors;
    this.out.errLine(`${c.red('error:')} ${described.message}`);
    if (described.hint) this.out.errLine(described.hint);
    if (this.debug) this.out.errLine(debugDetails(error));
    if (this.json) {
      const e = error as {
        name?: string;
        code?: unknown;
        status?: unknown;
        requestId?: unknown;
        field?: unknown;
      };
      const write = (value: unknown) =>
        this.dataOnStdout
          ? this.out.stderr.write(`${this.out.redactor.redact(JSON.stringify(value))}\n`)
          : this.out.json(value);
      write({
        type: 'error',
        ...(extra.executionId ? { executionId: extra.executionId } : {}),
        exitCode: described.exitCode,
        message: described.message,
        hint: described.hint ?? null,
        error: {
          name: e?.name ?? 'Error',
          code: typeof e?.code === 'string' ? e.code : null,
          status: typeof e?.status === 'number' ? e.status : null,
          requestId: typeof e?.requestId === 'string' ? e.requestId : null,
        },
      });
    }
    return described.exitCode;
  }

  safeBaseUrl(): string | undefined {
    try {
      return this.baseUrl;
    } catch {
      return undefined;
    }
  }
}
