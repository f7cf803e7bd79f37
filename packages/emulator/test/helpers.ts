import type { Emulator } from '../src/index.js';
import { DEFAULT_API_KEY } from '../src/index.js';

export const CANARY_KEY = 'ck_live_CANARY_9f8e7d';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
  body: any;
}

export async function call(
  emu: Emulator,
  method: string,
  path: string,
  options: { key?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? DEFAULT_API_KEY : options.key;
  if (key !== null) headers['x-api-key'] = key;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(emu.url + path, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

export async function startCrawl(emu: Emulator, url: string, key?: string): Promise<string> {
  const answer = await call(emu, 'POST', '/v2/crawl', { body: { url }, key });
  if (answer.status !== 202) throw new Error(`POST failed: ${answer.status} ${answer.text}`);
  return answer.body.execution_id as string;
}
