import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../src/parse.js';
import { parseCollection, parseEnvelope, parseListing, parseVendor } from '../src/results/parse.js';

const v2Pagination = {
  page: 2,
  page_size: 100,
  total_items: 250,
  total_pages: 3,
  has_next: true,
  has_prev: true,
};

describe('parseEnvelope: every documented variant', () => {
  it('v2: data + pagination + meta', () => {
    const env = parseEnvelope({ data: [{ id: 1 }], pagination: v2Pagination, meta: {} });
    expect(env.items).toEqual([{ id: 1 }]);
    expect(env.paging).toEqual({ page: 2, pageSize: 100, totalItems: 250, totalPages: 3, hasNext: true });
  });

  it.each(['listings', 'collections', 'collection_products'])(
    'v1: %s + meta{total_items,total_pages,current_page,page_size}',
    (key) => {
      const env = parseEnvelope({
        [key]: [{ id: 'a' }, { id: 'b' }],
        meta: { total_items: 12, total_pages: 2, current_page: 1, page_size: 10 },
      });
      expect(env.items).toHaveLength(2);
      expect(env.paging).toEqual({ page: 1, pageSize: 10, totalItems: 12, totalPages: 2 });
    },
  );

  it('data wins over a v1 array; pagination wins over meta; a bad value falls through to the next source', () => {
    const env = parseEnvelope({
      data: [{ id: 'v2' }],
      listings: [{ id: 'v1' }],
      pagination: { page: 'x', total_pages: 4, has_next: 'false' },
      meta: { current_page: 3, total_pages: 9 },
    });
    expect(env.items).toEqual([{ id: 'v2' }]);
    expect(env.paging).toEqual({ page: 3, totalPages: 4, hasNext: false });
  });

  it('numbers sent as strings are read; negative or fractional counts are ignored', () => {
    const env = parseEnvelope({ data: [], pagination: { page: '2', total_pages: -1, total_items: 2.5 } });
    expect(env.paging).toEqual({ page: 2 });
  });

  it('a bare array is a page without paging information; data: null is an empty page', () => {
    expect(parseEnvelope([{ id: 1 }])).toEqual({ items: [{ id: 1 }], paging: {} });
    expect(parseEnvelope({ data: null, pagination: { total_items: 0 } }).items).toEqual([]);
  });

  it('a body with no item array, or not an object, is a ShapeError', () => {
    expect(() => parseEnvelope({ message: 'ok' })).toThrow(ShapeError);
    expect(() => parseEnvelope({ data: 'nope' })).toThrow(/no item array/);
    expect(() => parseEnvelope('text')).toThrow(ShapeError);
    expect(() => parseEnvelope(null)).toThrow(ShapeError);
  });

  it('never throws anything but ShapeError, and paging fields are always sane (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        try {
          const env = parseEnvelope(body);
          expect(Array.isArray(env.items)).toBe(true);
          for (const value of [env.paging.page, env.paging.totalItems, env.paging.totalPages]) {
            if (value !== undefined) expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
          }
          if (env.paging.pageSize !== undefined) expect(env.paging.pageSize).toBeGreaterThanOrEqual(1);
        } catch (error) {
          expect(error).toBeInstanceOf(ShapeError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('items', () => {
  it('a listing with every documented field', () => {
    const raw = {
      id: 'l1',
      url: 'https://skims.com/products/a',
      name: 'Fits Everybody Bra',
      images: [
        { id: 'i2', url: 'https://cdn/2.jpg', width: 800, height: 600, position: 2 },
        { id: 'i1', url: 'https://cdn/1.jpg', width: 800, height: 600, position: 1 },
      ],
      price: { currency: 'USD', current_value: 32, compare_at_value: null },
      vendor: 'skims.com',
      first_seen_by_catalog: '2025-01-01T00:00:00Z',
      last_updated_by_catalog: '2025-01-15T10:31:00Z',
      colour: 'onyx',
    };
    const listing = parseListing(raw)!;
    expect(listing).toMatchObject({
      id: 'l1',
      url: raw.url,
      name: raw.name,
      price: { currency: 'USD', currentValue: 32, compareAtValue: null },
      vendor: 'skims.com',
      firstSeenByCatalog: raw.first_seen_by_catalog,
      lastUpdatedByCatalog: raw.last_updated_by_catalog,
    });
    expect(listing.images.map((i) => i.id)).toEqual(['i2', 'i1']);
    expect(listing.raw).toBe(raw); // unknown fields (colour) kept
  });

  it('an image already in the typed shape is used as sent; any other is copied into it', () => {
    const typed = { id: 'i1', url: 'https://cdn/1.jpg', width: 800, height: 600, position: 1 };
    const extra = { id: 'i2', url: 'https://cdn/2.jpg', alt: 'a bra' };
    const loose = { id: 3, url: 'https://cdn/3.jpg', width: '800', position: 'x' };
    const listing = parseListing({ id: 'l', url: 'u', images: [typed, extra, loose, { url: ' ' }, null] })!;
    expect(listing.images).toHaveLength(3);
    expect(listing.images[0]).toBe(typed);
    expect(listing.images[1]).toEqual({ id: 'i2', url: 'https://cdn/2.jpg' });
    expect(listing.images[2]).toEqual({ id: '3', url: 'https://cdn/3.jpg', width: 800 });
  });

  it('a listing needs id and url only; wrong-typed optional fields are left out of the typed item', () => {
    expect(parseListing({ id: 7, url: 'https://x/p' })).toMatchObject({
      id: '7',
      url: 'https://x/p',
      images: [],
    });
    expect(parseListing({ url: 'https://x/p' })).toBeUndefined();
    expect(parseListing({ id: 'a' })).toBeUndefined();
    expect(parseListing({ id: '', url: 'https://x/p' })).toBeUndefined();
    expect(parseListing('a')).toBeUndefined();
    const odd = parseListing({ id: 'a', url: 'u', name: 5, images: 'x', price: { current_value: 'abc' } })!;
    expect(odd.name).toBeUndefined();
    expect(odd.images).toEqual([]);
    expect(odd.price).toBeUndefined();
    expect(
      parseListing({ id: 'a', url: 'u', price: { current_value: '19.90', compare_at_value: 25 } })?.price,
    ).toEqual({
      currentValue: 19.9,
      compareAtValue: 25,
    });
  });

  it('vendors: current and old field names', () => {
    expect(
      parseVendor({
        vendor: 'skims.com',
        listings_count: 10,
        collections_count: 2,
        last_updated_by_catalog: 't1',
        in_affiliate_network: true,
      }),
    ).toMatchObject({
      vendor: 'skims.com',
      listingsCount: 10,
      collectionsCount: 2,
      lastUpdatedByCatalog: 't1',
      inAffiliateNetwork: true,
    });
    expect(
      parseVendor({ vendor: 'old.com', product_count: 5, latest_product_update_by_catalog: 't0' }),
    ).toMatchObject({
      vendor: 'old.com',
      listingsCount: 5,
      lastUpdatedByCatalog: 't0',
    });
    expect(parseVendor({ listings_count: 1 })).toBeUndefined();
  });

  it('collections need a url', () => {
    expect(
      parseCollection({ id: 'c', url: 'https://x/c', products_total: 40, last_updated_by_catalog: 't' }),
    ).toMatchObject({
      id: 'c',
      url: 'https://x/c',
      productsTotal: 40,
      lastUpdatedByCatalog: 't',
    });
    expect(parseCollection({ url: 'https://x/c' })?.id).toBeUndefined();
    expect(parseCollection({ id: 'c' })).toBeUndefined();
  });

  it('item parsers never throw, and every item they keep has its required fields (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const l = parseListing(value);
        if (l) expect(l.id !== '' && l.url.trim() !== '').toBe(true);
        const c = parseCollection(value);
        if (c) expect(c.url.trim()).not.toBe('');
        const v = parseVendor(value);
        if (v) expect(v.vendor.trim()).not.toBe('');
      }),
      { numRuns: 500 },
    );
    // Objects shaped like listings, with arbitrary values in every documented field.
    const anything = fc.oneof(fc.jsonValue(), fc.constant(undefined));
    fc.assert(
      fc.property(
        fc.record({
          id: anything,
          url: anything,
          name: anything,
          images: anything,
          price: anything,
          vendor: anything,
        }),
        (value) => {
          const l = parseListing(value);
          if (l) for (const image of l.images) expect(typeof image.url).toBe('string');
        },
      ),
      { numRuns: 500 },
    );
  });
});
