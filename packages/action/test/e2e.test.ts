import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from './fixtures.js';
import { ENTRY, expectAllOutputs, expectNoCanary, parseFileCommands, runAction } from './run-action.js';

// Speed 5: the 10 s scenario crawls (fast, fail-*, stall) take 2 s; `long` takes 48 min.
const SPEED = 5;
let emulator: Emulator;
let n = 0;
/** A unique host per test: the API returns the running crawl of a hostname instead of starting another. */
const host = (scenario: string) => `${scenario}-e2e${++n}.example`;

function inputs(extra: Record<string, string>): Record<string, string> {
  return {
    'api-key': CANARY,
    'api-base-url': emulator.url,
    'min-interval': '1s',
    'max-interval': '1s',
    ...extra,
  };
}

function requestsFor(id: string, method: string) {
  return emulator.requests.filter((r) => r.method === method && r.path === `/v2/crawl/${id}`);
}

/**
 * The DELETEs of one crawl: exactly one took effect (200), the last one; before it only refusals of a crawl
 * still pending (409, when `pending`) or the emulator's rate limit (429, retried: the suite's tests share it).
 */
function expectOneCancel(id: string, pending: boolean): void {
  const statuses = requestsFor(id, 'DELETE').map((r) => r.status);
  expect(statuses.at(-1), JSON.stringify(statuses)).toBe(200);
  const allowed = pending ? [409, 429] : [429];
  expect(
    statuses.slice(0, -1).every((status) => allowed.includes(status)),
    JSON.stringify(statuses),
  ).toBe(true);
}

async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { 'x-api-key': CANARY, 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
}

/** Resolves when `predicate` holds, polling every 50 ms. */
async function until(predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  expect(existsSync(ENTRY), 'dist/index.js is built (pnpm build)').toBe(true);
  // The API's limit is per client address: this file runs some 25 runners at once from 127.0.0.1, where a
  // real runner is one, so the limit is raised to what 25 runners would have (429s are the fault suite's).
  emulator = await startEmulator({
    speed: SPEED,
    apiKeys: [{ key: CANARY, org: 'default' }],
    rateLimit: { requests: 50 * 25, windowMs: 4_000 },
  });
});

afterAll(async () => {
  await emulator?.close();
});

describe.concurrent('the built action, run as the runner runs it', () => {
  it('starts a crawl and waits until it completes', async () => {
    const run = await runAction({ inputs: inputs({ url: host('fast') }) });
    expectNoCanary(run);
    expectAllOutputs(run);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ outcome: 'completed', status: 'completed', error: '' });
    expect(run.outputs['execution-id']).toMatch(/^crawl-fast-e2e\d+-example-/);
    expect(Number(run.outputs['listings-total'])).toBeGreaterThan(0);
    expect(Number(run.outputs['collections-total'])).toBeGreaterThan(0);
    expect(Number(run.outputs['duration-ms'])).toBeGreaterThan(0);
    expect(run.outputs['started-at']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(run.outputs['stopped-at']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(JSON.parse(run.outputs['result']!)).toMatchObject({ status: 'completed' });
    const log = run.stdout.split('\n').filter((line) => !line.startsWith('::'));
    expect(log[0]).toBe(`Crawl ${run.outputs['execution-id']} for ${run.outputs['vendor']}`);
    expect(run.stdout).toMatch(/\[\+[\d.]+m?s, [\dhms.]+ left\] step 4\/4 Extracting listings/);
    expect(run.stdout).toContain('✅ Crawl');
    expect(run.summary).toContain('## ✅ Catalog crawl completed');
    expect(run.summary).toContain('```mermaid');
    expect(run.summary).toContain('| 4 | Extracting listings | ✅ completed |');
    expect(run.state).toMatchObject({
      isPost: 'true',
      executionId: run.outputs['execution-id'],
      finishedCleanly: 'true',
    });
  });

  it('collapses retried server errors into one warning annotation', async () => {
    const name = host('fast');
    emulator.injectFault('server_error', {
      method: 'GET',
      path: new RegExp(name.replace(/\./g, '-')),
      count: 6,
    });
    const run = await runAction({ inputs: inputs({ url: name }) });
    expectNoCanary(run);
    expect(run.code).toBe(0);
    expect(run.outputs['outcome']).toBe('completed');
    const annotations = run.stdout.split('\n').filter((line) => line.startsWith('::warning::'));
    expect(annotations).toHaveLength(1);
    expect(annotations[0]).toMatch(/^::warning::Transient API error, retrying: /);
    // the later ones are in the debug log only
    expect(run.stdout).toMatch(/^::debug::\[\+.*retry: /m);
  });

  it('waits for an existing execution id', async () => {
    const started = await api('POST', '/v2/crawl', { url: host('fast') });
    const id = started['execution_id'] as string;
    const run = await runAction({ inputs: inputs({ 'execution-id': id }) });
    expectNoCanary(run);
    expectAllOutputs(run);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ 'execution-id': id, outcome: 'completed' });
    expect(run.summary).toContain(`\`${id}\``);
  });

  it('starts without waiting when wait is false', async () => {
    const run = await runAction({ inputs: inputs({ url: host('long'), wait: 'false' }) });
    expectNoCanary(run);
    expectAllOutputs(run);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ outcome: 'started', status: 'pending' });
    expect(requestsFor(run.outputs['execution-id']!, 'GET')).toHaveLength(0);
    expect(run.state['finishedCleanly']).toBe('true');
  });

  it('vendor is what the API reports, never the url input (wait: false and true)', async () => {
    const name = host('long');
    const started = await runAction({ inputs: inputs({ url: `https://www.${name}/shop`, wait: 'false' }) });
    expectAllOutputs(started);
    expect(started.outputs['outcome']).toBe('started');
    // the POST reports no vendor: the output stays empty rather than guessing `www.<host>`
    expect(started.outputs['vendor']).toBe('');
    expect(started.summary).not.toContain(`| Vendor | www.`);
    const fast = host('fast');
    const waited = await runAction({ inputs: inputs({ url: `https://www.${fast}/shop` }) });
    expect(waited.outputs['vendor']).toBe(fast);
    expect(waited.stdout).toContain(`Crawl ${waited.outputs['execution-id']} for ${fast}\n`);
  });

  it('reports a failed crawl with the API error and fails the step', async () => {
    const run = await runAction({ inputs: inputs({ url: host('fail-extracting') }) });
    expectNoCanary(run);
    expectAllOutputs(run);
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ outcome: 'failed', status: 'failed' });
    expect(run.outputs['error']).not.toBe('');
    expect(run.stdout).toContain(`::error::${run.outputs['error']}`);
    expect(run.summary).toContain('## ❌ Catalog crawl failed');
    expect(run.summary).toContain('**Request id:** `req_');
    expect(run.summary).toContain('| 4 | Extracting listings | ❌ failed |');
  });

  it('does not fail the step for an outcome left out of fail-on', async () => {
    const run = await runAction({ inputs: inputs({ url: host('fail-analyzing'), 'fail-on': 'timed_out' }) });
    expectNoCanary(run);
    expect(run.code).toBe(0);
    expect(run.outputs['outcome']).toBe('failed');
  });

  it('times out, keeps the crawl running and says what it last saw', async () => {
    const run = await runAction({ inputs: inputs({ url: host('long'), timeout: '3s' }) });
    expectNoCanary(run);
    expectAllOutputs(run);
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ outcome: 'timed_out', status: 'running' });
    expect(run.outputs['error']).toMatch(/^Timed out after 3s while the crawl was running/);
    expect(run.summary).toContain('## ⏱️ Catalog crawl timed out');
    expect(run.summary).toContain('**Last seen:** running');
    expect(requestsFor(run.outputs['execution-id']!, 'DELETE')).toHaveLength(0);
    expect(run.durationMs).toBeLessThan(10_000);
  });

  it('cancels on timeout when cancel-on-timeout is true', async () => {
    const run = await runAction({
      inputs: inputs({ url: host('long'), timeout: '2s', 'cancel-on-timeout': 'true' }),
    });
    expectNoCanary(run);
    expect(run.outputs['outcome']).toBe('timed_out');
    expect(run.outputs['error']).toMatch(/cancelled \(cancel-on-timeout\)/);
    expect(requestsFor(run.outputs['execution-id']!, 'DELETE')).toHaveLength(1);
  });

  it('stops a stalled crawl after stall-timeout', async () => {
    const run = await runAction({ inputs: inputs({ url: host('stall'), 'stall-timeout': '2s' }) });
    expectNoCanary(run);
    expectAllOutputs(run);
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ outcome: 'stalled', status: 'running' });
    expect(run.outputs['error']).toMatch(/No progress for 2s/);
    expect(run.summary).toContain('## ⚠️ Catalog crawl stalled');
    expect(run.summary).toContain('Discovering collections');
  });

  it('cancel-on-timeout while pending: keeps trying for cancel-wait and cancels once it runs', async () => {
    // pending for 20 s of emulator time (4 s here), a 1 s timeout
    const name = `pending-20s-run-600s-e2e${++n}.example`;
    const run = await runAction({
      inputs: inputs({ url: name, timeout: '1s', 'cancel-on-timeout': 'true', 'cancel-wait': '30s' }),
    });
    expectNoCanary(run);
    expectAllOutputs(run);
    expect(run.outputs).toMatchObject({ outcome: 'timed_out', status: 'canceled' });
    expect(run.outputs['error']).toMatch(
      /while the crawl was pending\. The crawl was cancelled \(cancel-on-timeout\)\.$/,
    );
    expect(run.stdout).toContain(
      'The crawl has not started yet; trying to cancel it for up to 30s (cancel-wait).',
    );
    expectOneCancel(run.outputs['execution-id']!, true);
  }, 40_000);

  it('cancel-on-stall: a stalled crawl is cancelled and reported so', async () => {
    const run = await runAction({
      inputs: inputs({ url: host('stall'), 'stall-timeout': '2s', 'cancel-on-stall': 'true' }),
    });
    expectNoCanary(run);
    expectAllOutputs(run);
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ outcome: 'stalled', status: 'canceled' });
    expect(run.outputs['error']).toMatch(/No progress for 2s.*The crawl was cancelled \(cancel-on-stall\)\./);
    expectOneCancel(run.outputs['execution-id']!, false);
    expect(run.summary).toContain('| API status | `canceled` |');
  });

  it('on SIGINT mid-wait: sends the DELETE within 7.5 s, writes outputs and summary, exits', async () => {
    let signalledAt = 0;
    const run = await runAction({
      inputs: inputs({ url: host('long') }),
      control: (child, files) => {
        void until(() => /step 1\/4/.test(files.stdout())).then(() => {
          signalledAt = Date.now();
          child.kill('SIGINT');
        });
      },
    });
    expectNoCanary(run);
    expectAllOutputs(run);
    const id = run.outputs['execution-id']!;
    const deletes = requestsFor(id, 'DELETE');
    expect(deletes).toHaveLength(1);
    expect(deletes[0]!.status).toBe(200);
    expect(deletes[0]!.at - signalledAt).toBeLessThan(7_500);
    expect(run.durationMs).toBeLessThan(20_000);
    expect(run.code).toBe(1);
    expect(run.signal).toBeNull();
    expect(run.outputs['outcome']).toBe('canceled');
    expect(run.outputs['error']).toBe('The step was interrupted (SIGINT); the crawl was cancelled.');
    expect(run.summary).toContain('## ⛔ Catalog crawl canceled');
    expect(run.state['finishedCleanly']).toBe('true');
    // Regression (issue 11): after a successful cancel nothing says the crawl is still running.
    expect(run.outputs['status']).toBe('canceled');
    expect(JSON.parse(run.outputs['crawls']!)[0]).toMatchObject({ status: 'canceled', outcome: 'canceled' });
    expect(run.summary).toContain('| API status | `canceled` |');
    expect(run.summary).not.toMatch(/`running`|🔄 running|:\*\* running/);
    expect(run.summary).toContain('**Last seen before the cancel:** step 1/4');
    const after = await api('GET', `/v2/crawl/${id}`);
    expect(after['status']).toBe('failed');
  });

  it('on SIGTERM alone: the same clean cancellation', async () => {
    const run = await runAction({
      inputs: inputs({ url: host('long') }),
      control: (child, files) => {
        void until(() => /status pending/.test(files.stdout())).then(() => child.kill('SIGTERM'));
      },
    });
    expectNoCanary(run);
    expectAllOutputs(run);
    expect(run.signal).toBeNull();
    expect(run.outputs['outcome']).toBe('canceled');
    expect(run.outputs['error']).toBe('The step was interrupted (SIGTERM); the crawl was cancelled.');
    // Issue 12: signalled while pending, which the API refuses to cancel (409 here); the step keeps trying
    // within the runner's budget and cancels the crawl once it runs (pending lasts ~1 s at this speed).
    expectOneCancel(run.outputs['execution-id']!, true);
    expect(run.state['finishedCleanly']).toBe('true');
  });

  it('signalled while the crawl stays pending: the post step keeps trying for cancel-wait, then says so', async () => {
    // pending for 60 s of emulator time (12 s here): the main step's budget runs out, then the post step's
    const name = `pending-60s-run-600s-e2e${++n}.example`;
    let stateText = '';
    const main = await runAction({
      inputs: inputs({ url: name }),
      control: (child, files) => {
        void until(() => /status pending/.test(files.stdout())).then(() => child.kill('SIGINT'));
        void until(() => /Received SIGINT/.test(files.stdout())).then(() => {
          stateText = readFileSync(files.state, 'utf8');
        });
      },
    });
    expectNoCanary(main);
    expectAllOutputs(main);
    const id = main.outputs['execution-id']!;
    expect(main.outputs).toMatchObject({ outcome: 'canceled', status: 'pending' });
    expect(main.outputs['error']).toBe(
      'The step was interrupted (SIGINT); the crawl had not started yet and could not be cancelled (the API cancels only running crawls); the post step keeps trying for 2m.',
    );
    expect(main.summary).toContain('the post step keeps trying for 2m');
    const state = parseFileCommands(main.stateText || stateText);
    expect(state['finishedCleanly']).toBeUndefined();
    expect(state['cleanIds']).toBeUndefined();
    expect(requestsFor(id, 'DELETE').every((r) => r.status === 409 || r.status === 429)).toBe(true);

    // A short cancel-wait: still pending at its end, said plainly as an error annotation and in the summary.
    const gaveUp = await runAction({ inputs: inputs({ url: '', 'cancel-wait': '2s' }), state });
    expect(gaveUp.code).toBe(0);
    const advice = `still pending: the API cancels only running crawls; cancel it with \`catalog-crawl cancel ${id} --when-running\``;
    expect(gaveUp.stdout).toContain(
      `::error::Post: crawl ${id} is ${advice} (it had not started after 2s, cancel-wait).`,
    );
    expect(gaveUp.summary).toContain('clean-up');
    expect(gaveUp.summary).toContain('still pending: the API cancels only running crawls');

    // The default cancel-wait (2m) outlasts the pending phase: cancelled once it runs.
    const post = await runAction({ inputs: inputs({ url: '' }), state });
    expectNoCanary(post);
    expect(post.code).toBe(0);
    expect(post.stdout).toContain(`Post: the main step did not finish; cancelled crawl ${id}.`);
    expectOneCancel(id, true);
    expect((await api('GET', `/v2/crawl/${id}`))['status']).toMatch(/^(failed|canceled|cancelled)$/);
  }, 60_000);

  it('on SIGINT with cancel-on-abort false: leaves the crawl running', async () => {
    const run = await runAction({
      inputs: inputs({ url: host('long'), 'cancel-on-abort': 'false' }),
      control: (child, files) => {
        void until(() => /status pending|status running/.test(files.stdout())).then(() =>
          child.kill('SIGINT'),
        );
      },
    });
    expectNoCanary(run);
    expectAllOutputs(run);
    expect(run.outputs['outcome']).toBe('canceled');
    expect(run.outputs['error']).toMatch(/left running \(cancel-on-abort is false\)/);
    expect(requestsFor(run.outputs['execution-id']!, 'DELETE')).toHaveLength(0);
  });

  it('post step: cancels the crawl after main was killed', async () => {
    let stateText = '';
    const main = await runAction({
      inputs: inputs({ url: host('long') }),
      control: (child, files) => {
        void until(() => readFileSync(files.state, 'utf8').includes('executionId')).then(() => {
          stateText = readFileSync(files.state, 'utf8');
          child.kill('SIGKILL');
        });
      },
    });
    expect(main.signal).toBe('SIGKILL');
    expectNoCanary(main);
    const state = parseFileCommands(stateText);
    const id = state['executionId']!;
    expect(state['finishedCleanly']).toBeUndefined();
    expect(requestsFor(id, 'DELETE')).toHaveLength(0);

    const post = await runAction({ inputs: inputs({ url: '' }), state });
    expectNoCanary(post);
    expect(post.code).toBe(0);
    expect(post.stdout).toContain(`Post: the main step did not finish; cancelled crawl ${id}.`);
    // Killed right after the POST, the crawl may still be pending for the first DELETE (refused, 409): the
    // post step then cancels it once it runs (issue 12). Exactly one DELETE succeeds.
    expectOneCancel(id, true);
    expect(post.summary).toContain('clean-up');
    expect(post.outputsText).toBe('');

    // A second post (or a crawl that finished meanwhile) is a normal case.
    const again = await runAction({ inputs: inputs({}), state });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('had already finished, nothing to cancel');
    expect(again.stdout).not.toContain('::warning::');
  });

  it('post step: does nothing after a clean main', async () => {
    const post = await runAction({
      inputs: inputs({}),
      state: { isPost: 'true', executionId: 'crawl-x-example-1', finishedCleanly: 'true' },
    });
    expect(post.code).toBe(0);
    expect(post.stdout).toContain('finished cleanly');
    expect(requestsFor('crawl-x-example-1', 'DELETE')).toHaveLength(0);
  });

  it.each([
    ['both url and execution-id', { url: 'a.example', 'execution-id': 'crawl-a-1' }, /both set/],
    ['neither url nor execution-id', {}, /Neither "url" nor "execution-id"/],
    ['a bare-number duration', { url: 'a.example', timeout: '90' }, /Input "timeout": "90" has no unit/],
    ['a bad fail-on', { url: 'a.example', 'fail-on': 'failed,sometimes' }, /unknown outcome "sometimes"/],
    ['an invalid execution id', { 'execution-id': '../admin' }, /Input "execution-id"/],
  ])('rejects %s before any request', async (_name, extra, message) => {
    const before = emulator.requests.length;
    const run = await runAction({ inputs: inputs(extra) });
    expectNoCanary(run);
    expectAllOutputs(run);
    expect(run.code).toBe(1);
    expect(run.outputs['outcome']).toBe('error');
    expect(run.outputs['error']).toMatch(message);
    expect(run.stdout).toContain(`::error::${run.outputs['error']}`);
    expect(run.summary).toContain('## ❌ Catalog crawl error');
    expect(run.summary).toContain('> **Code:** `INVALID_INPUT`');
    // other tests run concurrently: check that no request of this run carried its inputs
    expect(emulator.requests.slice(before).some((r) => r.path.includes('admin'))).toBe(false);
  });

  it('reports a 401 without leaking the key', async () => {
    const key = `${CANARY}x`;
    const run = await runAction({ inputs: inputs({ 'api-key': key, url: host('fast') }) });
    expectNoCanary(run, key);
    expectAllOutputs(run);
    expect(run.code).toBe(1);
    expect(run.outputs['outcome']).toBe('error');
    expect(run.outputs['error']).toMatch(/401/);
    expect(run.summary).toMatch(/\*\*Request id:\*\* `req_/);
    expect(run.stdout).toContain('::add-mask::');
  });

  it('comment-on-pr: loads @actions/github on demand and creates then updates one comment', async () => {
    const calls: { method: string; url: string; body: string; auth: string }[] = [];
    const comments: { id: number; body: string }[] = [];
    const github = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        calls.push({ method: req.method!, url: req.url!, body, auth: req.headers.authorization ?? '' });
        res.setHeader('content-type', 'application/json');
        if (req.method === 'GET' && req.url!.startsWith('/repos/o/r/issues/7/comments')) {
          res.end(JSON.stringify(comments));
        } else if (req.method === 'POST' && req.url === '/repos/o/r/issues/7/comments') {
          const created = { id: 100 + comments.length, body: JSON.parse(body).body as string };
          comments.push(created);
          res.statusCode = 201;
          res.end(JSON.stringify(created));
        } else if (req.method === 'PATCH' && req.url!.startsWith('/repos/o/r/issues/comments/')) {
          const id = Number(req.url!.split('/').pop());
          const comment = comments.find((c) => c.id === id)!;
          comment.body = JSON.parse(body).body as string;
          res.end(JSON.stringify(comment));
        } else {
          res.statusCode = 404;
          res.end('{}');
        }
      });
    });
    await new Promise<void>((resolve) => github.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'catalog-crawl-event-'));
    const eventPath = join(dir, 'event.json');
    writeFileSync(eventPath, JSON.stringify({ pull_request: { number: 7 } }));
    const env = {
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_API_URL: `http://127.0.0.1:${(github.address() as AddressInfo).port}`,
      GITHUB_WORKFLOW: 'CI',
      GITHUB_JOB: 'crawl',
    };
    try {
      const url = host('fast');
      const first = await runAction({
        inputs: inputs({ url, 'comment-on-pr': 'true', 'github-token': 'ghs_fake_token_123' }),
        env,
      });
      expectNoCanary(first);
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('comment-on-pr: created the comment on pull request #7.');
      expect(first.stdout.replace(/^::add-mask::.*$/gm, '')).not.toContain('ghs_fake_token_123');
      const second = await runAction({
        inputs: inputs({ url, 'comment-on-pr': 'true', 'github-token': 'ghs_fake_token_123' }),
        env,
      });
      expect(second.stdout).toContain('comment-on-pr: updated the comment on pull request #7.');
      expect(comments).toHaveLength(1);
      expect(comments[0]!.body).toContain(`<!-- catalog-crawl:CI/crawl/${url} -->`);
      expect(comments[0]!.body).not.toContain(CANARY);
      expect(calls.every((c) => c.auth === 'token ghs_fake_token_123')).toBe(true);
    } finally {
      github.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
