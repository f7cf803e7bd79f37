import {
  AbortedError,
  ApiError,
  AuthError,
  formatDuration,
  formatStep,
  InvalidInputError,
  InvalidResponseError,
  LostContactError,
  NetworkError,
  NotFoundError,
  PaymentRequiredError,
  RateLimitError,
  ServerError,
  ValidationError,
} from '@catalog-crawl/core';
import { describe, expect, it } from 'vitest';
import { CliContext } from '../src/context.js';
import { describeError } from '../src/errors.js';
import {
  EXIT,
  exitCodeForError,
  exitCodeForOutcome,
  MissingApiKeyError,
  worstExitCode,
} from '../src/exit-codes.js';
import { clock } from '../src/format.js';
import { finishFromError, finishFromResult } from '../src/outcome.js';
import { Output, Redactor, secretsFromArgv, shouldUseColor } from '../src/output.js';
import { CANARY, FakeStream, makeCrawl, makeResult } from './helpers.js';

const wait = { executionId: 'crawl-a-1234', crawl: undefined, elapsedMs: 0 };
const history = { startedAt: 0, steps: [], polls: 0, transientErrors: 0 };
/** A real instance of the named class: errors are matched by class, never by name. */
const make: Record<string, (message: string) => Error> = {
  InvalidInputError: (m) => new InvalidInputError('url', m),
  ValidationError: (m) => new ValidationError(m, 'INVALID_REQUEST'),
  AuthError: (m) => new AuthError(m, 'UNAUTHORIZED'),
  PaymentRequiredError: (m) => new PaymentRequiredError(m, 'PAYMENT_REQUIRED'),
  MissingApiKeyError: () => new MissingApiKeyError(),
  NotFoundError: (m) => new NotFoundError(m, 'NOT_FOUND'),
  NetworkError: (m) => new NetworkError(m),
  LostContactError: (m) => new LostContactError(m, { ...wait, history }),
  ServerError: (m) => new ServerError(m, 'SERVER_ERROR'),
  RateLimitError: (m) => new RateLimitError(m),
  InvalidResponseError: (m) => new InvalidResponseError(m, 'INVALID_RESPONSE'),
  ApiError: (m) => new ApiError(m, 'HTTP'),
  AbortedError: (m) => new AbortedError(m),
};
const named = (name: string, fields: Record<string, unknown> = {}) =>
  Object.assign(make[name]!(`${name} happened`), fields);

describe('exit codes', () => {
  it('maps outcomes', () => {
    expect(exitCodeForOutcome('completed')).toBe(0);
    expect(exitCodeForOutcome('failed')).toBe(1);
    expect(exitCodeForOutcome('timed_out')).toBe(5);
    expect(exitCodeForOutcome('canceled')).toBe(6);
    expect(exitCodeForOutcome('stalled')).toBe(7);
  });

  it('maps errors by name, then by status', () => {
    expect(exitCodeForError(named('InvalidInputError'))).toBe(2);
    expect(exitCodeForError(named('ValidationError'))).toBe(2);
    expect(exitCodeForError(named('AuthError'))).toBe(3);
    expect(exitCodeForError(named('PaymentRequiredError'))).toBe(3);
    expect(exitCodeForError(named('MissingApiKeyError'))).toBe(3);
    expect(exitCodeForError(named('NotFoundError'))).toBe(4);
    for (const n of [
      'NetworkError',
      'LostContactError',
      'ServerError',
      'RateLimitError',
      'InvalidResponseError',
    ]) {
      expect(exitCodeForError(named(n))).toBe(8);
    }
    expect(exitCodeForError(named('ApiError', { status: 503 }))).toBe(8);
    expect(exitCodeForError(named('ApiError', { status: 403 }))).toBe(3);
    expect(exitCodeForError(named('ApiError', { status: 404 }))).toBe(4);
    expect(exitCodeForError(new Error('boom'))).toBe(1);
    expect(exitCodeForError('boom')).toBe(1);
  });

  it('the worst (highest) code wins', () => {
    expect(worstExitCode([])).toBe(0);
    expect(worstExitCode([0, 1, 0])).toBe(1);
    expect(worstExitCode([1, 5, 0])).toBe(5);
    expect(worstExitCode([8, 130])).toBe(130);
  });
});

describe('errors', () => {
  it('say what happened and what to do, with the request id', () => {
    const d = describeError(
      named('AuthError', { status: 401, requestId: 'req_42', message: 'Invalid API key' }),
    );
    expect(d.exitCode).toBe(EXIT.AUTH);
    expect(d.message).toBe('Invalid API key (request id req_42)');
    expect(d.hint).toContain('CATALOG_API_KEY');
    const n = describeError(named('NetworkError'), { baseUrl: 'http://127.0.0.1:9' });
    expect(n.exitCode).toBe(8);
    expect(n.hint).toContain('http://127.0.0.1:9');
    // Moved from core, whose messages no longer name a face's settings: the CLI names its own.
    expect(n.hint).toContain('CATALOG_API_BASE_URL');
    const redirect = describeError(named('ApiError', { status: 302 }));
    expect(redirect.hint).toContain('CATALOG_API_BASE_URL');
    const badKey = describeError(new InvalidInputError('apiKey', 'the API key contains spaces'));
    expect(badKey.hint).toContain('CATALOG_API_KEY');
  });

  it('a key with a space is reported against CATALOG_API_KEY before any request', () => {
    const ctx = new CliContext({
      out: new Output(new FakeStream(), new FakeStream(), new Redactor(), { color: false, errColor: false }),
      env: { CATALOG_API_KEY: 'ck_live_ a' },
      signals: { on() {}, off() {} },
      forceExit() {},
    });
    expect(() => ctx.apiKey()).toThrow(/CATALOG_API_KEY.*contains spaces/);
  });

  it('keep only the first line of a message', () => {
    expect(describeError(new Error('one\ntwo\nthree')).message).toBe('one');
  });
});

describe('outcome messages', () => {
  it('names the step of a failure', () => {
    const crawl = makeCrawl({
      status: 'failed',
      error: 'boom',
      stepStatuses: ['completed', 'failed', 'pending', 'pending'],
    });
    // core's one rule for "where the crawl is", shared with the Action and the MCP server
    expect(formatStep(crawl)).toBe('step 2/4 Discovering collections');
    const f = finishFromResult(makeResult({ outcome: 'failed', crawl }));
    expect(f.exitCode).toBe(1);
    expect(f.message).toBe('failed at step 2/4 Discovering collections: boom');
  });

  it('stalled and canceled', () => {
    const stalled = finishFromResult(makeResult({ outcome: 'stalled', crawl: makeCrawl() }), {
      stallTimeoutMs: 120_000,
    });
    expect(stalled.exitCode).toBe(7);
    expect(stalled.message).toContain('no change for 2m at step 2/4');
    expect(stalled.hint).toContain('catalog-crawl cancel');
    const canceled = finishFromResult(
      makeResult({
        outcome: 'canceled',
        crawl: makeCrawl({ status: 'failed', error: 'Crawl was cancelled by request' }),
      }),
    );
    expect(canceled.exitCode).toBe(6);
  });

  it('timed out with --cancel-on-timeout', () => {
    const f = finishFromResult(
      makeResult({
        outcome: 'timed_out',
        crawl: makeCrawl(),
        cancel: { executionId: 'x', outcome: 'canceled', stopDate: null, raw: {} },
      }),
      { timeoutMs: 5000 },
    );
    expect(f.exitCode).toBe(5);
    expect(f.message).toContain('canceled the crawl');
  });

  it('Ctrl-C: 130 and how to resume, or 6 when the crawl was canceled', () => {
    const left = finishFromError('crawl-a-1234', named('AbortedError'), { signalName: 'SIGINT' });
    expect(left.exitCode).toBe(130);
    expect(left.message).toContain('keeps running');
    expect(left.hint).toContain('catalog-crawl wait crawl-a-1234');
    const term = finishFromError('crawl-a-1234', named('AbortedError'), { signalName: 'SIGTERM' });
    expect(term.exitCode).toBe(143);
    const canceled = finishFromError(
      'crawl-a-1234',
      named('AbortedError', { cancel: { outcome: 'canceled' } }),
      { signalName: 'SIGINT' },
    );
    expect(canceled.exitCode).toBe(6);
  });
});

describe('output', () => {
  it('redacts secrets, also percent-encoded', () => {
    const r = new Redactor();
    r.add(CANARY);
    r.add('abc'); // too short to redact
    expect(r.redact(`key=${CANARY} and ${encodeURIComponent(`${CANARY}/`)}`)).toBe('key=*** and ***%2F');
    expect(r.redact('abc')).toBe('abc');
  });

  it('finds the key in argv and env', () => {
    expect(
      secretsFromArgv(['--api-key', 'k1-secret', 'wait', '--api-key=k2-secret'], {
        CATALOG_API_KEY: 'k3-secret',
      }),
    ).toEqual(['k3-secret', 'k1-secret', 'k2-secret']);
  });

  it('adds the proxy credentials of HTTP_PROXY/HTTPS_PROXY (core proxySecrets) to the redactor', () => {
    const env = {
      HTTPS_PROXY: 'http://bob:pr0xy-s3cret@proxy.corp:3128',
      http_proxy: 'http://tok3n-only@p:8080',
    };
    const secrets = secretsFromArgv([], env);
    expect(secrets).toContain('pr0xy-s3cret');
    expect(secrets).toContain(Buffer.from('bob:pr0xy-s3cret').toString('base64'));
    expect(secrets).toContain('tok3n-only');
    const r = new Redactor();
    for (const s of secrets) r.add(s);
    expect(r.redact('407 from http://bob:pr0xy-s3cret@proxy.corp:3128 (tok3n-only)')).not.toMatch(
      /pr0xy-s3cret|tok3n-only/,
    );
  });

  it('colours follow --no-color, NO_COLOR, FORCE_COLOR and the terminal', () => {
    const tty = new FakeStream(true);
    const pipe = new FakeStream(false);
    expect(shouldUseColor(tty, {}, undefined)).toBe(true);
    expect(shouldUseColor(pipe, {}, undefined)).toBe(false);
    expect(shouldUseColor(tty, { NO_COLOR: '1' }, undefined)).toBe(false);
    expect(shouldUseColor(tty, {}, false)).toBe(false);
    expect(shouldUseColor(pipe, { FORCE_COLOR: '1' }, undefined)).toBe(true);
    expect(shouldUseColor(tty, { FORCE_COLOR: '0' }, undefined)).toBe(false);
    expect(shouldUseColor(tty, { TERM: 'dumb' }, undefined)).toBe(false);
  });

  it('formats durations', () => {
    expect(clock(5_000)).toBe('0:05');
    expect(clock(3_723_000)).toBe('1:02:03');
    // durations in words are core's formatDuration, one precision rule for every face
    expect(formatDuration(450)).toBe('450ms');
    expect(formatDuration(32_000)).toBe('32s');
    expect(formatDuration(185_000)).toBe('3m5s');
    expect(formatDuration(3_720_000)).toBe('1h2m');
  });
});
