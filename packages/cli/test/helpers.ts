import { Output, type OutStream, Redactor } from '../src/output.js';

export { CANARY, makeCrawl, makeEvent as event, makeResult } from '@catalog-crawl/test-kit';

/** A writable that records what is written; `isTTY` makes it look like a terminal. */
export class FakeStream implements OutStream {
  chunks: string[] = [];
  constructor(
    readonly isTTY = false,
    readonly columns = 100,
    readonly rows = 40,
  ) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
  // log-update and cli-cursor only need write/isTTY/columns/rows; these keep NodeJS.WritableStream happy.
  on(): this {
    return this;
  }
}

export function fakeOutput(options: { tty?: boolean; color?: boolean; secrets?: string[] } = {}) {
  const stdout = new FakeStream(options.tty ?? false);
  const stderr = new FakeStream(options.tty ?? false);
  const redactor = new Redactor();
  for (const s of options.secrets ?? []) redactor.add(s);
  const out = new Output(stdout, stderr, redactor, { color: options.color ?? false, errColor: false });
  return { out, stdout, stderr };
}
