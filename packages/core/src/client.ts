// CONTRACT (to be implemented): see packages/core/CONTRACT.md
import type {
  CancelResult,
  CatalogClientOptions,
  Crawl,
  CrawlList,
  ListCrawlsParams,
  RequestOptions,
  StartedCrawl,
} from './types.js';

export const DEFAULT_BASE_URL = 'https://api.getcatalog.ai';
export const ENV_API_KEY = 'CATALOG_API_KEY';
export const ENV_BASE_URL = 'CATALOG_API_BASE_URL';
export declare const VERSION: string;

/** Reads CATALOG_API_KEY / CATALOG_API_BASE_URL; throws InvalidInputError naming the variable when the key is missing. */
export declare function clientOptionsFromEnv(
  env?: Record<string, string | undefined>,
): Pick<CatalogClientOptions, 'apiKey' | 'baseUrl'>;

export declare class CatalogClient {
  constructor(options: CatalogClientOptions);
  readonly baseUrl: string;
  startCrawl(params: { url: string }, options?: RequestOptions): Promise<StartedCrawl>;
  getCrawl(executionId: string, options?: RequestOptions): Promise<Crawl>;
  cancelCrawl(executionId: string, options?: RequestOptions): Promise<CancelResult>;
  listCrawls(params?: ListCrawlsParams, options?: RequestOptions): Promise<CrawlList>;
}
