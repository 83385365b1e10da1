// fast-check generators of hostile GraphQL input: names, ids, paths, huge strings, wrong types, cron strings,
// JSON configs, deep and wide documents, broken transports. Every URL they make points at 127.0.0.1.
import fc from 'fast-check';

/** Strings chosen to break things: traversal, injection, control and bidi characters, sizes around the limits, cron and zone edge cases. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\t\n',
  '.',
  '..',
  '../x',
  '../../../../etc/passwd',
  '/etc/passwd',
  'a/b',
  'a\\b',
  '..\\..\\x',
  '%2e%2e%2f',
  '%00',
  '\u0000',
  'x\u0000y',
  'C:\\Windows\\system32',
  '~/.ssh/id_rsa',
  '/dev/zero',
  '/proc/self/environ',
  'file:///etc/passwd',
  "' OR 1=1 --",
  '"; DROP TABLE "Job"; --',
  '$1',
  '${jndi:ldap://127.0.0.1:1/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '\u202eevil',
  '\ufeffbom',
  '🦄'.repeat(64),
  'é'.repeat(200),
  'x'.repeat(128),
  'x'.repeat(129),
  'x'.repeat(5_000),
  'x'.repeat(200_000),
  'NaN',
  'Infinity',
  '-1',
  '0',
  '1e309',
  'null',
  'undefined',
  'true',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '* * * * *',
  '*/5 * * * *',
  '0 0 * * *',
  '* * * * * *',
  '61 * * * *',
  '*/0 * * * *',
  '0 0 31 2 *',
  '@reboot',
  '@yearly',
  'L W # ?',
  '0 0 * * * * * *',
  '1-1000000 * * * *',
  '0-59/0 * * * *',
  'Europe/Nowhere',
  'Etc/GMT+99',
  'UTC',
  '+25:00',
  '3f0c2a9e-6f5b-4d8e-9a51-2b7c1d0e4f6a',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
];

/** URLs and non-URLs for `url` fields: only 127.0.0.1, unusual ports and schemes, or nothing that resolves. */
export function urlish(emulatorUrl: string): fc.Arbitrary<string> {
  return fc.constantFrom(
    emulatorUrl,
    `${emulatorUrl}/`,
    `${emulatorUrl}/${'../'.repeat(8)}`,
    'http://127.0.0.1:1',
    'http://127.0.0.1:0',
    'http://127.0.0.1:65536',
    'https://127.0.0.1:1',
    'http://user:pass@127.0.0.1:1',
    'ftp://127.0.0.1/',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'gopher://127.0.0.1:1/_x',
    'http://127.0.0.1:1/?' + 'a'.repeat(10_000),
    'not a url',
    '',
    '//127.0.0.1',
  );
}

/** No value that could name a host other than 127.0.0.1: nothing with a scheme separator or a dot. */
const hostless = (value: string) => !value.includes('://') && !value.includes('.');

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 50 }) },
);

/** Any JSON value, of any shape: what a wrong type looks like. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(2 ** 53 + 1, -(2 ** 31) - 1, 2 ** 31, 1e308, -0),
  fc.boolean(),
  fc.constant(null),
  fc.array(hostileString, { maxLength: 4 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 4 }),
);

/** The right kind of value most of the time, anything at all otherwise. */
export function wrongOr<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | unknown> {
  return fc.oneof({ weight: 3, arbitrary }, { weight: 1, arbitrary: anyJson });
}

export function maybe<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(arbitrary, { nil: undefined, freq: 3 });
}

/** Nested JSON as deep as `depth`: objects or arrays. */
export function deepJson(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { nested: value };
  return value;
}

export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }).filter((value) => hostless(JSON.stringify(value) ?? '')) },
  { weight: 1, arbitrary: fc.constantFrom(deepJson(50), deepJson(3_000), { __proto__: { admin: true } }, { constructor: { prototype: { x: 1 } } }) },
  { weight: 1, arbitrary: anyJson },
);

export function engineConfig(emulatorUrl: string): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record(
        {
          url: wrongOr(urlish(emulatorUrl)),
          apiKey: wrongOr(hostileString),
          timeoutMs: wrongOr(fc.oneof(fc.integer({ min: 1, max: 5_000 }), fc.integer())),
          pageSize: wrongOr(fc.integer()),
          batchSize: wrongOr(fc.integer()),
          projectId: hostileString,
          token: hostileString,
          dumpsDir: fc.constantFrom('/', '../../', '/etc', '/tmp/../etc'),
          extra: hostileJson,
        },
        { requiredKeys: ['url'] },
      ),
    },
    { weight: 1, arbitrary: hostileJson },
  );
}

export const cronish: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS.filter((s) => /[*@L]|\d \d/.test(s))),
  fc
    .array(fc.constantFrom('*', '0', '59', '60', '*/1', '*/7', '1-5', '5-1', 'L', '?', '#', 'MON', 'JAN', ',', '1,2,3', '-', '/'), { minLength: 1, maxLength: 8 })
    .map((parts) => parts.join(' ')),
  hostileString,
);

/** A selection nested `depth` levels through the recursive Backup.parent. */
export function deepQuery(depth: number): string {
  return `{ backups { nodes { ${'parent { '.repeat(depth)}id${' }'.repeat(depth)} } } }`;
}

export const TOKENS = [
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  ':',
  '!',
  '=',
  '$x',
  '...',
  '@skip(if: true)',
  'query',
  'mutation',
  'subscription',
  'fragment',
  'on',
  'Query',
  'engines',
  'id',
  'name',
  'jobs',
  'nodes',
  '"s"',
  '"""block"""',
  '1',
  '-1.5e9',
  'true',
  'null',
  '#c\n',
  ',',
  '|',
  '&',
  '\u0000',
  'engine(id: "x")',
  'registerEngine',
];

export const hostileDocument: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 1, max: 300 }).map(deepQuery),
  fc.integer({ min: 1, max: 3_000 }).map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: engines { id name config }`).join(' ')} }`),
  fc.integer({ min: 1, max: 5_000 }).map((n) => `{ engines ${'@include(if: true) '.repeat(n)}{ id } }`),
  fc.constant('query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }'),
  fc.constant('query { ...A } fragment A on Query { engines { id } ...A }'),
  fc.integer({ min: 1, max: 400 }).map((n) => `query { ${'...F '.repeat(n)} } fragment F on Query { ${'engines { id name plugin config } '.repeat(20)} }`),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 300 }).map((tokens) => tokens.join(' ')),
  hostileString.map((s) => `{ engine(id: ${JSON.stringify(s)}) { id name } }`),
  fc.integer({ min: 1_000, max: 300_000 }).map((n) => `{ engine(id: "${'x'.repeat(n)}") { id } }`),
  fc.constant('{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name } } } } } } } }'),
  fc.constant('query Q($a: Int!) { engine(id: $a) { id } }'),
  fc.constant('query { jobs(first: -1) { nodes { id } } }'),
  fc.constant('query { jobs(first: 2147483648) { nodes { id } } }'),
  fc.constant('query { jobs(first: 1000000) { nodes { id events(last: 1000000) { phase } } } }'),
  fc.constant('subscription { jobUpdated(id: "nope") { id } }'),
  fc.constant('mutation { a: removeEngine(id: "x") b: removeEngine(id: "y") c: cancelJob(id: "z") { id } }'),
  fc.constant(''),
  fc.constant('{'),
  fc.constant('query A { engines { id } } query A { engines { id } }'),
);
