// Public API of the results module (re-exported by the package index).
export {
  CrawlNotCompletedError,
  type CrawlResults,
  type CrawlResultsOptions,
  crawlResults,
  crawlTotals,
  NEW_SINCE_START_NOTE,
  UPDATED_SINCE_START_NOTE,
} from './crawl.js';
export { listCollections, listListings, listVendors, rememberedMethod } from './endpoints.js';
export {
  CSV_COLUMNS,
  csvRow,
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportOptions,
  type ExportProgress,
  type ExportSummary,
  exportResults,
  type FlatValue,
  firstImageUrl,
  flatItem,
  OutputError,
  validateExportFormat,
} from './export.js';
export { DEFAULT_MAX_PAGES, RESULTS_PAGE_SIZE, Results } from './pages.js';
export type * from './types.js';
export { parseResultsTarget, type ResultsTarget, validateCollectionUrls, validateVendor } from './vendor.js';
