import { createRedactor, proxySecrets } from '@catalog-crawl/core';
import pc from 'picocolors';

/** The subset of a writable stream the CLI needs (a process stream, or a fake one in tests). */
export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export type Colors = ReturnType<typeof pc.createColors>;

/** Replaces every known secret (the API key) with `***` in anything the CLI prints. */
export class Redactor {
  readonly #secrets = new Set<string>();
  #redact: (text: string) => string = (text) => text;

  add(secret: string | undefined): void {
    if (typeof secret !== 'string' || secret === '') return;
    this.#secrets.add(secret);
    this.#redact = createRedactor(this.#secrets);
  }

  redact(text: string): string {
    return this.#redact(text);
  }
}

/**
 * Collects the secrets before parsing: the API key from argv (`--api-key K`, `--api-key=K`) and the
 * environment, and the proxy credentials of HTTP_PROXY/HTTPS_PROXY (core's `proxySecrets`), which an error
 * naming the proxy could otherwise carry.
 */
export function secretsFromArgv(argv: readonly string[], env: Record<string, string | undefined>): string[] {
  const secrets: string[] = [];
  const fromEnv = env['CATALOG_API_KEY'];
  if (fromEnv) secrets.push(fromEnv);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--api-key' && i + 1 < argv.length) secrets.push(argv[i + 1] ?? '');
    else if (arg.startsWith('--api-key=')) secrets.push(arg.slice('--api-key='.length));
  }
  secrets.push(...proxySecrets(env));
  return secrets.filter((s) => s.length > 0);
}

/**
 * Whether to colour a stream: `--no-color` and `NO_COLOR` (non-empty) turn colours off, `FORCE_COLOR`
 * (other than `0`/`false`) turns them on, otherwise only on a terminal that is not `dumb`.
 */
export function shouldUseColor(
  stream: OutStream,
  env: Record<string, string | undefined>,
  flag: boolean | undefined,
): boolean {
  if (flag === false) return false;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

export function createColors(enabled: boolean): Colors {
  return pc.createColors(enabled);
}

/** Where the CLI writes: every string passes through the redactor. */
export class Output {
  readonly colors: Colors;
  readonly errColors: Colors;
  constructor(
    readonly stdout: OutStream,
    readonly stderr: OutStream,
    readonly redactor: Redactor,
    options: { color: boolean; errColor: boolean },
  ) {
    this.colors = createColors(options.color);
    this.errColors = createColors(options.errColor);
  }

  /** Writes one or more lines to stdout. */
  line(text = ''): void {
    this.stdout.write(`${this.redactor.redact(text)}\n`);
  }

  /** Writes one or more lines to stderr. */
  errLine(text = ''): void {
    this.stderr.write(`${this.redactor.redact(text)}\n`);
  }

  json(value: unknown): void {
    this.stdout.write(`${this.redactor.redact(JSON.stringify(value))}\n`);
  }

  get isTTY(): boolean {
    return this.stdout.isTTY === true;
  }
}
