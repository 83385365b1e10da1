// Deterministic, realistic-looking documents for `npm run seed`: films for Meilisearch, products for Typesense,
// ~1 KB of JSON each. The same index always yields the same document (a seeded PRNG per document), so a second
// seed upserts identical documents instead of adding new ones.

const WORDS = (
  'river night city storm garden letter winter summer mountain echo shadow glass harbor train silver paper ' +
  'window island forest signal memory orchard lantern compass desert engine violin bridge ember falcon meadow ' +
  'archive canyon velvet thunder atlas beacon cipher dune fable grove horizon ivory jungle kettle labyrinth marble ' +
  'nebula oasis prism quarry relic saffron tundra umbra vertex willow zenith amber basalt cobalt delta'
).split(' ');
const FIRST = 'Ada Ben Chloe Dev Elena Farid Grace Hiro Ines Jonas Kira Luca Maya Noor Omar Priya Quinn Rosa Sami Tess Uma Victor Wen Yara Zoe'.split(' ');
const LAST = 'Abe Brandt Costa Duarte Eriksen Fischer Garcia Haddad Ito Jensen Kowalski Laurent Moreau Novak Okafor Petrov Quist Rossi Sato Tanaka'.split(' ');
const GENRES = ['drama', 'comedy', 'thriller', 'documentary', 'animation', 'romance', 'science fiction', 'mystery', 'western', 'musical'];
const CATEGORIES = ['kitchen', 'garden', 'books', 'outdoor', 'audio', 'toys', 'office', 'lighting', 'travel', 'tools'];
const COLORS = ['black', 'white', 'red', 'green', 'blue', 'amber', 'slate', 'olive', 'teal', 'sand'];

/** mulberry32: a tiny seeded PRNG, so document n is the same on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(next: () => number, items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
const words = (next: () => number, count: number): string => Array.from({ length: count }, () => pick(next, WORDS)).join(' ');
const sentence = (next: () => number): string => {
  const text = words(next, 8 + Math.floor(next() * 10));
  return `${text[0]!.toUpperCase()}${text.slice(1)}.`;
};
const person = (next: () => number): string => `${pick(next, FIRST)} ${pick(next, LAST)}`;

export interface Movie {
  id: number;
  title: string;
  overview: string;
  genres: string[];
  year: number;
  rating: number;
  runtimeMinutes: number;
  director: string;
  cast: string[];
  languages: string[];
}

export function movie(n: number): Movie {
  const next = random(n * 2654435761 + 1);
  const title = words(next, 2 + Math.floor(next() * 3)).replace(/\b\w/g, (c) => c.toUpperCase());
  return {
    id: n,
    title,
    overview: Array.from({ length: 8 }, () => sentence(next)).join(' '),
    genres: [...new Set(Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(next, GENRES)))],
    year: 1930 + Math.floor(next() * 96),
    rating: Math.round(next() * 100) / 10,
    runtimeMinutes: 70 + Math.floor(next() * 110),
    director: person(next),
    cast: Array.from({ length: 4 + Math.floor(next() * 4) }, () => person(next)),
    languages: [pick(next, ['en', 'fr', 'de', 'ja', 'es', 'hi', 'pt', 'ko'])],
  };
}

export interface Product {
  id: string;
  name: string;
  description: string;
  category: string;
  brand: string;
  price: number;
  stock: number;
  rating: number;
  colors: string[];
  tags: string[];
}

export function product(n: number): Product {
  const next = random(n * 2246822519 + 7);
  return {
    id: `p${String(n).padStart(7, '0')}`,
    name: words(next, 3).replace(/\b\w/g, (c) => c.toUpperCase()),
    description: Array.from({ length: 8 }, () => sentence(next)).join(' '),
    category: pick(next, CATEGORIES),
    brand: `${pick(next, LAST)} & ${pick(next, LAST)}`,
    price: Math.round(next() * 50_000) / 100,
    stock: Math.floor(next() * 1000),
    rating: Math.round(next() * 50) / 10,
    colors: [...new Set(Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(next, COLORS)))],
    tags: Array.from({ length: 3 + Math.floor(next() * 4) }, () => pick(next, WORDS)),
  };
}

/** The Typesense schema of the products collection. */
export const PRODUCTS_SCHEMA = {
  name: 'products',
  fields: [
    { name: 'name', type: 'string' },
    { name: 'description', type: 'string' },
    { name: 'category', type: 'string', facet: true },
    { name: 'brand', type: 'string', facet: true },
    { name: 'price', type: 'float' },
    { name: 'stock', type: 'int32' },
    { name: 'rating', type: 'float' },
    { name: 'colors', type: 'string[]', facet: true },
    { name: 'tags', type: 'string[]' },
  ],
  default_sorting_field: 'stock',
};
