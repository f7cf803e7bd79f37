// Tolerant parsers for the results endpoints. The envelope is v2 (`data` + `pagination`) or v1 (`listings`,
// `collections`, `collection_products` + `meta{total_items,total_pages,current_page,page_size}`). An item that
// lacks a required field is skipped and counted, never fatal; an optional field of the wrong type is left out
// of the typed item (it stays in `raw`). Only a body with no item array at all is a ShapeError.
import { ShapeError } from '../parse.js';
import type { Collection, Listing, ListingImage, ListingPrice, Paging, Vendor } from './types.js';

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string, else undefined. */
function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** A finite number, or a string holding one (some proxies and old pages stringify numbers). */
function num(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

/** A whole number >= min, else undefined. */
function whole(value: unknown, min: number): number | undefined {
  const n = num(value);
  return n !== undefined && Number.isSafeInteger(n) && n >= min ? n : undefined;
}

function bool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/** An id: a non-empty string, or a number (kept as its decimal text). */
function ident(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return text(value);
}

const ARRAY_KEYS = ['data', 'listings', 'collection_products', 'collections', 'vendors'] as const;

export interface Envelope {
  items: unknown[];
  paging: Paging;
}

/** Reads the item array and the paging block of any documented envelope. */
export function parseEnvelope(body: unknown): Envelope {
  if (Array.isArray(body)) return { items: body, paging: {} };
  if (!isObj(body)) throw new ShapeError('body is not an object');
  let items: unknown[] | undefined;
  for (const key of ARRAY_KEYS) {
    const value = body[key];
    if (Array.isArray(value)) {
      items = value;
      break;
    }
  }
  if (items === undefined) {
    // `{"data": null}` is an explicit "nothing"; anything else without an array is not a results page.
    if ('data' in body && body.data === null) items = [];
    else throw new ShapeError(`no item array (looked for ${ARRAY_KEYS.join(', ')})`);
  }
  return { items, paging: pagingOf(body) };
}

/** v2 `pagination` first, then v1 `meta`, then the root; the first valid value of each field wins. */
function pagingOf(body: Obj): Paging {
  const sources = [body.pagination, body.meta, body].filter(isObj);
  const pick = <T>(read: (o: Obj) => T | undefined): T | undefined => {
    for (const source of sources) {
      const value = read(source);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  const paging: Paging = {};
  const page = pick((o) => whole(o.page, 0) ?? whole(o.current_page, 0));
  if (page !== undefined) paging.page = page;
  const pageSize = pick((o) => whole(o.page_size, 1));
  if (pageSize !== undefined) paging.pageSize = pageSize;
  const totalItems = pick((o) => whole(o.total_items, 0));
  if (totalItems !== undefined) paging.totalItems = totalItems;
  const totalPages = pick((o) => whole(o.total_pages, 0));
  if (totalPages !== undefined) paging.totalPages = totalPages;
  const hasNext = pick((o) => bool(o.has_next));
  if (hasNext !== undefined) paging.hasNext = hasNext;
  return paging;
}

export function parseVendor(value: unknown): Vendor | undefined {
  if (!isObj(value)) return undefined;
  const vendor = text(value.vendor);
  if (vendor === undefined) return undefined;
  const item: Vendor = { vendor, raw: value };
  const updated = text(value.last_updated_by_catalog) ?? text(value.latest_product_update_by_catalog);
  if (updated !== undefined) item.lastUpdatedByCatalog = updated;
  const listings = whole(value.listings_count, 0) ?? whole(value.product_count, 0);
  if (listings !== undefined) item.listingsCount = listings;
  const collections = whole(value.collections_count, 0);
  if (collections !== undefined) item.collectionsCount = collections;
  const affiliate = bool(value.in_affiliate_network);
  if (affiliate !== undefined) item.inAffiliateNetwork = affiliate;
  return item;
}

export function parseCollection(value: unknown): Collection | undefined {
  if (!isObj(value)) return undefined;
  const url = text(value.url);
  if (url === undefined) return undefined;
  const item: Collection = { url, raw: value };
  const id = ident(value.id);
  if (id !== undefined) item.id = id;
  const total = whole(value.products_total, 0);
  if (total !== undefined) item.productsTotal = total;
  const updated = text(value.last_updated_by_catalog);
  if (updated !== undefined) item.lastUpdatedByCatalog = updated;
  return item;
}

const IMAGE_KEYS = new Set(['url', 'id', 'width', 'height', 'position']);

/** True when the API's image object is already exactly a ListingImage: then it is used as it is, not copied. */
function isTypedImage(value: Obj): value is Obj & ListingImage {
  for (const key in value) {
    if (!IMAGE_KEYS.has(key)) return false;
  }
  const { url, id, width, height, position } = value;
  return (
    typeof url === 'string' &&
    url.trim() !== '' &&
    (id === undefined || (typeof id === 'string' && id.trim() !== '')) &&
    (width === undefined || (Number.isSafeInteger(width) && (width as number) >= 0)) &&
    (height === undefined || (Number.isSafeInteger(height) && (height as number) >= 0)) &&
    (position === undefined || (typeof position === 'number' && Number.isFinite(position)))
  );
}

function imageOf(value: unknown): ListingImage | undefined {
  if (!isObj(value)) return undefined;
  if (isTypedImage(value)) return value;
  const url = text(value.url);
  if (url === undefined) return undefined;
  const image: ListingImage = { url };
  const id = ident(value.id);
  if (id !== undefined) image.id = id;
  const width = whole(value.width, 0);
  if (width !== undefined) image.width = width;
  const height = whole(value.height, 0);
  if (height !== undefined) image.height = height;
  const position = num(value.position);
  if (position !== undefined) image.position = position;
  return image;
}

function priceOf(value: unknown): ListingPrice | undefined {
  if (!isObj(value)) return undefined;
  const currency = text(value.currency);
  const current = num(value.current_value);
  const compareAt = value.compare_at_value === null ? null : num(value.compare_at_value);
  if (currency === undefined && current === undefined && compareAt === undefined) return undefined;
  const price: ListingPrice = {};
  if (currency !== undefined) price.currency = currency;
  if (current !== undefined) price.currentValue = current;
  if (compareAt !== undefined) price.compareAtValue = compareAt;
  return price;
}

/** The valid images of a listing, in the API's order. */
function imagesOf(value: unknown): ListingImage[] {
  const images: ListingImage[] = [];
  if (Array.isArray(value)) {
    for (const entry of value) {
      const image = imageOf(entry);
      if (image !== undefined) images.push(image);
    }
  }
  return images;
}

export function parseListing(value: unknown): Listing | undefined {
  if (!isObj(value)) return undefined;
  const id = ident(value.id);
  const url = text(value.url);
  if (id === undefined || url === undefined) return undefined;
  const item: Listing = { id, url, images: imagesOf(value.images), raw: value };
  const name = text(value.name);
  if (name !== undefined) item.name = name;
  const price = priceOf(value.price);
  if (price !== undefined) item.price = price;
  const vendor = text(value.vendor);
  if (vendor !== undefined) item.vendor = vendor;
  const firstSeen = text(value.first_seen_by_catalog);
  if (firstSeen !== undefined) item.firstSeenByCatalog = firstSeen;
  const updated = text(value.last_updated_by_catalog);
  if (updated !== undefined) item.lastUpdatedByCatalog = updated;
  return item;
}

/** Per kind: the item parser, and the identity used to notice a page that repeats the one before it. */
export const KINDS = {
  vendors: { parse: parseVendor, key: (item: Vendor) => item.vendor },
  collections: { parse: parseCollection, key: (item: Collection) => item.id ?? item.url },
  listings: { parse: parseListing, key: (item: Listing) => item.id },
} as const;
