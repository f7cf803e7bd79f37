import { z } from 'zod';

/**
 * Output shapes shared by the tools. Field names are snake_case like the tool arguments and the Catalog API,
 * so an agent can pass `execution_id` straight from one result to the next call.
 */

export const executionIdArg = z
  .string()
  .min(1)
  .max(200)
  .describe('The execution id returned by start_crawl or list_crawls, e.g. "crawl-skims-com-a1b2c3d4".');

export const stepShape = z.object({
  name: z.string(),
  status: z.string().describe('pending, running, completed or failed.'),
});

// Counts come from the API as they are: typed loosely so that an odd value never turns a status into an error.
export const countsShape = z.object({
  collections_found: z.number(),
  listings_found: z.number(),
});

export const totalsShape = z.object({
  collections_total: z.number(),
  listings_total: z.number(),
});

/** The common status block of get_crawl_status, wait_for_crawl and the resource. */
export const crawlStatusShape = {
  execution_id: z.string(),
  status: z
    .string()
    .describe(
      'pending, running, completed or failed (a cancelled crawl reads failed). Other values: not finished.',
    ),
  finished: z
    .boolean()
    .describe('true once the status is completed or failed: polling again will not change it.'),
  vendor: z.string().optional().describe('The hostname being crawled.'),
  error: z.string().optional().describe('The API error message when the crawl failed.'),
  current_step: z
    .object({ name: z.string(), number: z.number().int().positive(), of: z.number().int().positive() })
    .optional()
    .describe('The running step (or the next pending one), 1-based.'),
  steps: z.array(stepShape),
  progress: countsShape.optional().describe('Counts found so far (while running).'),
  result: totalsShape.optional().describe('Totals once completed.'),
  started_at: z.string().optional(),
  stopped_at: z.string().optional(),
  elapsed_seconds: z.number().nonnegative().optional(),
  suggested_poll_interval_seconds: z
    .number()
    .nonnegative()
    .describe('How long to wait before checking again; 0 once finished.'),
  checked_seconds_ago: z
    .number()
    .nonnegative()
    .describe(
      'How old this status is. The server reads a crawl at most every 10 s whoever asks, and answers from its shared view in between.',
    ),
  unchanged_for_seconds: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      'While running: how long status, step and counts have shown no change (as far as this server has seen).',
    ),
  stalled: z
    .boolean()
    .describe(
      'true when a running crawl has shown no change for the stall window (15 min by default): it may be stuck.',
    ),
  warning: z.string().optional().describe('Set when the latest attempt to refresh this status failed.'),
  resource_uri: z.string().describe('Read or subscribe to this resource for the same status.'),
  next_step: z.string().describe('What to do next.'),
};

export const crawlStatusOutput = z.object(crawlStatusShape);
export type CrawlStatusOutput = z.infer<typeof crawlStatusOutput>;

export const startCrawlOutputShape = {
  execution_id: z.string(),
  status: z.string().describe('Usually pending; an existing crawl of the same host may already be running.'),
  url: z.string().describe('The URL as sent to the API.'),
  credits_used: z.number().optional(),
  suggested_poll_interval_seconds: z.number().nonnegative(),
  resource_uri: z.string(),
  next_step: z.string(),
};
export type StartCrawlOutput = z.infer<z.ZodObject<typeof startCrawlOutputShape>>;

export const waitOutcomeValues = ['completed', 'failed', 'canceled', 'still_running', 'stalled'] as const;
export type WaitOutcomeValue = (typeof waitOutcomeValues)[number];

export const waitForCrawlOutputShape = {
  ...crawlStatusShape,
  wait_outcome: z
    .enum(waitOutcomeValues)
    .describe(
      'completed, failed or canceled: the crawl has finished. still_running: wait_seconds ran out first; call wait_for_crawl again. ' +
        'stalled: still running but nothing changed for the stall window; see next_step.',
    ),
  waited_seconds: z.number().nonnegative(),
};
export type WaitForCrawlOutput = z.infer<z.ZodObject<typeof waitForCrawlOutputShape>>;

export const cancelCrawlOutputShape = {
  execution_id: z.string(),
  outcome: z
    .enum(['canceled', 'already_finished', 'not_running_yet'])
    .describe(
      'canceled: the crawl was stopped now. already_finished: it had completed, failed or been cancelled before; nothing changed. ' +
        'not_running_yet: it is still pending, and the API cancels only running crawls; it will start and run unless cancelled then (see next_step).',
    ),
  status: z
    .string()
    .optional()
    .describe('The crawl status read after a refused cancel (it decides the outcome).'),
  stopped_at: z.string().optional(),
  call_again_in_seconds: z
    .number()
    .nonnegative()
    .optional()
    .describe('not_running_yet: when to call cancel_crawl again (with when_running: true).'),
  resource_uri: z.string(),
  next_step: z.string(),
};
export type CancelCrawlOutput = z.infer<z.ZodObject<typeof cancelCrawlOutputShape>>;

export const listStatusValues = ['processing', 'completed', 'failed'] as const;

export const listCrawlsOutputShape = {
  crawls: z.array(
    z.object({
      execution_id: z.string(),
      status: z.string(),
      created_at: z.string().optional(),
    }),
  ),
  pagination: z.object({
    page: z.number(),
    page_size: z.number(),
    total_items: z.number(),
    total_pages: z.number(),
    has_next: z.boolean(),
    has_prev: z.boolean(),
  }),
  status_filter: z.enum(listStatusValues).optional(),
  next_step: z.string(),
};
export type ListCrawlsOutput = z.infer<z.ZodObject<typeof listCrawlsOutputShape>>;

export const resultItemShape = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  url: z.string().optional(),
  price: z.number().optional().describe('price.current_value'),
  currency: z.string().optional(),
  compare_at_price: z
    .number()
    .nullable()
    .optional()
    .describe('price.compare_at_value; null when not on sale.'),
  image_url: z.string().optional().describe('The first image (lowest position).'),
  image_count: z.number().int().nonnegative().optional(),
  vendor: z.string().optional(),
  first_seen_by_catalog: z.string().optional(),
  last_updated_by_catalog: z.string().optional(),
  products_total: z.number().optional().describe('Collections: products in the collection.'),
});

export const getCrawlResultsOutputShape = {
  kind: z.enum(['listings', 'collections']),
  vendor: z.string().describe('The hostname whose index was read (a crawl reads its own vendor).'),
  execution_id: z.string().optional(),
  page: z.number().int().positive(),
  page_size: z.number().int().positive(),
  fields: z
    .array(z.string())
    .describe('The fields each item carries (those asked for, else the default set).'),
  items: z.array(resultItemShape),
  total_items: z.number().optional().describe("The API's total for this vendor, when it says."),
  total_pages: z.number().optional(),
  crawl_total: z.number().optional().describe('What the crawl reported it found (by execution_id only).'),
  has_more: z.boolean(),
  next_page: z.number().int().positive().optional().describe('Pass it as page for the next items.'),
  truncated: z.boolean().describe('Some long texts were cut (names 200, URLs 500 characters).'),
  resource_uri: z.string().describe('The same listings page as a resource.'),
  next_step: z.string(),
};
