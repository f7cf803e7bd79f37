// The environment variables every face that reads an environment (the CLI, the MCP server) understands.
import { InvalidInputError } from './errors.js';
import type { CatalogClientOptions } from './types.js';

export const DEFAULT_BASE_URL = 'https://api.getcatalog.ai';
export const ENV_API_KEY = 'CATALOG_API_KEY';
export const ENV_BASE_URL = 'CATALOG_API_BASE_URL';

/** What the environment says: each value trimmed, undefined when unset or blank. Nothing is validated here. */
export function readEnv(env: Record<string, string | undefined> = process.env): {
  apiKey: string | undefined;
  baseUrl: string | undefined;
} {
  const value = (name: string) => {
    const text = env[name]?.trim();
    return text ? text : undefined;
  };
  return { apiKey: value(ENV_API_KEY), baseUrl: value(ENV_BASE_URL) };
}

/** Reads CATALOG_API_KEY / CATALOG_API_BASE_URL; throws InvalidInputError naming the variable when the key is missing. */
export function clientOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): Pick<CatalogClientOptions, 'apiKey' | 'baseUrl'> {
  const { apiKey, baseUrl } = readEnv(env);
  if (!apiKey) {
    throw new InvalidInputError(
      ENV_API_KEY,
      `${ENV_API_KEY} is not set: create an API key in the Catalog dashboard and export ${ENV_API_KEY}=<key>`,
      'is not set',
    );
  }
  return { apiKey, baseUrl: baseUrl ?? DEFAULT_BASE_URL };
}
