import { createHash } from 'node:crypto';
import { between, hash32, indexedRandom, logUniform, seededRandom } from './random.js';

/** What the index holds for one vendor: the totals and dates of its latest completed crawl. */
export interface IndexEntry {
  host: string;
  collectionsTotal: number;
  listingsTotal: number;
  /** Simulated epoch ms of the crawl's start_date and stop_date. */
  start: number;
  stop: number;
  hostile: boolean;
}

export interface Collection {
  id: string;
  url: string;
  products_total: number;
  last_updated_by_catalog: string;
}

/** A collection with the listings it holds: listing indexes [from, to). */
interface CollectionEntry {
  item: Collection;
  from: number;
  to: number;
}

const DAY_MS = 86_400_000;

const COLLECTION_WORDS = [
  'new-arrivals',
  'best-sellers',
  'dresses',
  'tops',
  'bottoms',
  'outerwear',
  'accessories',
  'shoes',
  'bags',
  'jewelry',
  'sale',
  'basics',
  'loungewear',
  'activewear',
  'swim',
  'denim',
  'knitwear',
  'sleepwear',
  'kids',
  'men',
  'women',
  'home',
  'beauty',
  'gifts',
  'essentials',
  'limited-edition',
  'summer',
  'winter',
  'shirts',
  'sweaters',
  'jackets',
  'pants',
  'skirts',
  'shorts',
  'socks',
  'underwear',
  'bras',
  'hats',
  'scarves',
  'belts',
  'sunglasses',
  'watches',
  'candles',
  'bedding',
  'kitchen',
  'skincare',
  'fragrance',
  'travel',
];
const ADJECTIVES = [
  'Soft',
  'Classic',
  'Relaxed',
  'Fitted',
  'Everyday',
  'Oversized',
  'Cropped',
  'Ribbed',
  'Seamless',
  'Vintage',
  'Organic',
  'Lightweight',
  'Cozy',
  'Structured',
  'Sculpting',
  'Washed',
  'Essential',
  'Modern',
];
const MATERIALS = [
  'Cotton',
  'Linen',
  'Wool',
  'Cashmere',
  'Silk',
  'Jersey',
  'Fleece',
  'Denim',
  'Leather',
  'Modal',
];
const PRODUCTS = [
  'Tee',
  'Tank',
  'Hoodie',
  'Sweatshirt',
  'Cardigan',
  'Dress',
  'Skirt',
  'Trouser',
  'Short',
  'Legging',
  'Bralette',
  'Brief',
  'Sock',
  'Beanie',
  'Scarf',
  'Tote',
  'Jacket',
  'Coat',
  'Robe',
  'Slipper',
];
const COLOURS = ['Black', 'White', 'Onyx', 'Sand', 'Stone', 'Navy', 'Olive', 'Clay', 'Cocoa', 'Heather Grey'];
const CURRENCIES = ['USD', 'USD', 'USD', 'USD', 'EUR', 'GBP', 'CAD', 'AUD'];
const IMAGE_SIZES: [number, number][] = [
  [800, 1000],
  [1000, 1000],
  [1200, 1500],
  [2048, 2048],
  [1080, 1350],
];
/** Text a client must treat as untrusted: markup, terminal escapes, CSV formulas, bidi controls, size. */
const HOSTILE_NAMES = [
  '<script>alert("x")</script> Tee',
  '=HYPERLINK("http://evil.example","click")',
  '+SUM(1,2)',
  '-2+3 Hoodie',
  '@cmd Scarf',
  '\u001b[31mRED\u001b[0m Sock \u001b]8;;http://evil.example\u0007link\u001b]8;;\u0007',
  '| Pipe | Table | Breaker |\n## Heading',
  '![img](http://evil.example/x.png) [link](javascript:alert(1))',
  'Line\r\nBreak\u0000Nul\u2028Sep',
  '\u202eevil\u202c Reversed Name',
  'Quote " and \' and `backtick`',
  `Long ${'x'.repeat(5_000)}`,
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, on purpose
  '${{ secrets.API_KEY }} ::set-output name=x::y',
  '::error::injected annotation',
];

function hex(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 8);
}

/** Truncates fractional ms as the crawl's own dates do, so comparisons with start_date hold. */
function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Whether a vendor is in the affiliate network (a stable coin flip per seed and host). */
export function inAffiliateNetwork(seed: string | number, host: string): boolean {
  return seededRandom('affiliate', seed, host)() < 0.4;
}

function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/**
 * One vendor's synthetic index, deterministic from the seed and hostname. Collections are built at once
 * (a few thousand at most); listings are generated on demand from their index, so a page of a
 * 100,000-listing vendor costs what a page of a small one does.
 *
 * Listing i lives at index i. Collection "all" holds every listing; the others split the listings in
 * contiguous blocks of decreasing size, so a product is in two collections (never sum products_total).
 */
export class VendorIndex {
  readonly collections: CollectionEntry[];
  private readonly prefix: string;
  private readonly listingSeed: number;
  private readonly currency: string;

  constructor(
    seed: string | number,
    readonly entry: IndexEntry,
  ) {
    const { host, collectionsTotal: count, listingsTotal: total, start, stop } = entry;
    const random = seededRandom('vendor', seed, host);
    this.prefix = hex('vendor', seed, host);
    this.listingSeed = hash32('listing', seed, host);
    this.currency = CURRENCIES[Math.floor(random() * CURRENCIES.length)]!;
    const words = [...COLLECTION_WORDS];
    for (let i = words.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [words[i], words[j]] = [words[j]!, words[i]!];
    }
    // Block sizes: Zipf-like weights with jitter, sorted so products_total is non-increasing.
    const blocks = Math.max(0, count - 1);
    const weights = Array.from(
      { length: blocks },
      (_, r) => (r + 1) ** -0.8 * between(random, 0.8, 1.2),
    ).sort((a, b) => b - a);
    const sum = weights.reduce((a, b) => a + b, 0);
    const sizes = weights.map((w) => Math.floor((total * w) / sum));
    let rest = total - sizes.reduce((a, b) => a + b, 0);
    for (let r = 0; rest > 0 && blocks > 0; r++, rest--) sizes[r % blocks]! += 1;
    const touched = (r: number) => iso(start + seededRandom('collection', seed, host, r)() * (stop - start));
    const entries: CollectionEntry[] = [];
    if (count >= 1) {
      entries.push({
        item: {
          id: `col_${this.prefix}0000`,
          url: `https://${host}/collections/all`,
          products_total: total,
          last_updated_by_catalog: touched(0),
        },
        from: 0,
        to: total,
      });
    }
    let from = 0;
    sizes.forEach((size, r) => {
      const word = words[r % words.length]!;
      const slug = r < words.length ? word : `${word}-${Math.floor(r / words.length) + 1}`;
      entries.push({
        item: {
          id: `col_${this.prefix}${(r + 1).toString(16).padStart(4, '0')}`,
          url: `https://${host}/collections/${slug}`,
          products_total: size,
          last_updated_by_catalog: touched(r + 1),
        },
        from,
        to: from + size,
      });
      from += size;
    });
    this.collections = entries;
  }

  /** The listing ranges of the given collection URLs, merged and sorted; unknown URLs match nothing. */
  rangesOf(collectionUrls: string[] | undefined): [number, number][] {
    if (collectionUrls === undefined) return [[0, this.entry.listingsTotal]];
    const wanted = new Set(collectionUrls.map(collectionKey));
    const ranges = this.collections
      .filter((c) => wanted.has(collectionKey(c.item.url)))
      .map((c): [number, number] => [c.from, c.to])
      .filter(([a, b]) => b > a)
      .sort((x, y) => x[0] - y[0]);
    const merged: [number, number][] = [];
    for (const [a, b] of ranges) {
      const last = merged[merged.length - 1];
      if (last && a <= last[1]) last[1] = Math.max(last[1], b);
      else merged.push([a, b]);
    }
    return merged;
  }

  /** `count` listings from position `offset` of the given ranges. */
  listings(ranges: [number, number][], offset: number, count: number): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    let skip = offset;
    for (const [a, b] of ranges) {
      if (out.length >= count) break;
      if (skip >= b - a) {
        skip -= b - a;
        continue;
      }
      for (let i = a + skip; i < b && out.length < count; i++) out.push(this.listing(i));
      skip = 0;
    }
    return out;
  }

  /** Listing i: every documented field, from a PRNG seeded with the seed, hostname and index. */
  listing(i: number): Record<string, unknown> {
    const { host, start, stop, hostile } = this.entry;
    const random = indexedRandom(this.listingSeed, i);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    let name = `${pick(ADJECTIVES)} ${pick(MATERIALS)} ${pick(PRODUCTS)} - ${pick(COLOURS)}`;
    const id = `lst_${this.prefix}${i.toString(16).padStart(6, '0')}`;
    const handle = `${slugify(name)}-${i.toString(36)}`;
    let url = `https://${host}/products/${handle}`;
    if (hostile && i % 2 === 0) {
      name = HOSTILE_NAMES[(i / 2) % HOSTILE_NAMES.length]!;
      if (i % 4 === 0)
        url = `https://${host}/products/${encodeURIComponent(name.slice(0, 60))}?q="<x>"&a=1,2`;
    }
    const imageCount = random() < 0.04 ? 0 : 1 + Math.floor(random() * 4);
    const [width, height] = pick(IMAGE_SIZES);
    const images = Array.from({ length: imageCount }, (_, j) => ({
      id: `img_${this.prefix}${i.toString(16).padStart(6, '0')}${j}`,
      url: `https://cdn.${host}/images/${handle}-${j + 1}.jpg`,
      width,
      height,
      position: j + 1,
    }));
    const base = logUniform(random, 8, 400);
    const current = random() < 0.5 ? Math.round(base) : Math.round(base) - 0.01;
    const discounted = random() < 0.3;
    const compare = Math.round(current * between(random, 1.2, 1.6)) - 0.01 * Math.round(random());
    // About a quarter of the listings are new in the latest crawl; of the others, half were updated by it.
    const span = stop - start;
    let firstSeen: number;
    let lastUpdated: number;
    const roll = random();
    if (roll < 0.25) {
      firstSeen = start + Math.floor(random() * span * 0.9);
      lastUpdated = firstSeen + Math.floor(random() * (stop - firstSeen));
    } else {
      firstSeen = start - Math.ceil(DAY_MS / 24 + random() * 180 * DAY_MS);
      lastUpdated =
        roll < 0.625
          ? start + Math.floor(random() * span)
          : firstSeen + Math.floor(random() * (start - 1 - firstSeen));
    }
    return {
      id,
      url,
      name,
      images,
      price: {
        currency: this.currency,
        current_value: Number(current.toFixed(2)),
        compare_at_value: discounted ? Number(Math.max(compare, current + 1).toFixed(2)) : null,
      },
      vendor: host,
      first_seen_by_catalog: iso(firstSeen),
      last_updated_by_catalog: iso(lastUpdated),
    };
  }
}

/** A collection URL as compared: host without www., path without trailing slash, lowercase. */
export function collectionKey(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname.toLowerCase().replace(/^www\./, '')}${parsed.pathname.replace(/\/+$/, '').toLowerCase()}`;
  } catch {
    return url;
  }
}
