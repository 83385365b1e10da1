// The layers hold: an import graph over src/ and plugins/ checked against the allowed directions
// (graphql → jobs/catalog/lifecycle → engines/storage → db), so a wrong import fails here, not in review.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/child-gateway.ts';

/**
 * Files at the top of src/ that every layer may use: errors, logging and its redaction, configuration, the secret
 * box, private file modes, files of the package (migrations, static assets) found from src/ and dist/.
 */
const SHARED = ['errors.ts', 'log.ts', 'redaction.ts', 'config.ts', 'secret-box.ts', 'private-files.ts', 'package-files.ts'];

/**
 * What each part of src/ may import besides itself and SHARED. A part is a folder, or a file at the top of src/.
 * Composition roots (main.ts, server.ts, gateway.ts, cli/) may import anything and are not listed.
 */
const ALLOWED: Record<string, string[]> = {
  graphql: ['dashboard', 'http', 'observability', 'auth', 'jobs', 'catalog', 'lifecycle', 'gateway-dump', 'engines', 'storage', 'db'],
  dashboard: [],
  // HTTP routes beside GraphQL (artifact download): authenticated like the API, reading the catalog and storage.
  http: ['auth', 'catalog', 'engines', 'storage', 'db'],
  // Metrics, probes and traces: read the catalog and the job bus, never change them.
  observability: ['jobs', 'catalog', 'engines', 'db'],
  // Services, in one direction among themselves: lifecycle → jobs → catalog (no cycles).
  lifecycle: ['jobs', 'catalog', 'engines', 'storage', 'db'],
  jobs: ['catalog', 'engines', 'storage', 'db'],
  'gateway-dump': ['catalog', 'engines', 'storage', 'db'],
  auth: ['catalog', 'engines', 'db'],
  catalog: ['engines', 'storage', 'db'],
  // The plugin contract and the storage format: one layer (the contract names archive types, sinks name the contract).
  engines: ['storage', 'db'],
  storage: ['engines', 'db'],
  db: [],
  // The plugin kit: the contract, the storage format it hands plugins.
  testing: ['engines', 'storage'],
  'plugin.ts': ['engines', 'storage'],
  'errors.ts': [],
  'log.ts': ['engines'],
  'config.ts': ['engines'],
  'secret-box.ts': [],
  'redaction.ts': [],
  'private-files.ts': [],
  'package-files.ts': [],
};
const COMPOSITION = ['main.ts', 'server.ts', 'gateway.ts', 'cli'];
/** The Gateway handle is passed down as a type: a type-only import of gateway.ts is wiring, not a dependency. */
const TYPE_ONLY_OK = ['gateway.ts'];
/** What a plugin may import from src/: the public plugin entry, what it re-exports (contract, archive types, errors), the testing kit. */
const PLUGIN_API = [/^src\/plugin\.ts$/, /^src\/engines\/contract\.ts$/, /^src\/storage\/archive-types\.ts$/, /^src\/errors\.ts$/, /^src\/testing\//];
/** A plugin's tests may also read what a backup wrote with the core's own readers. */
const PLUGIN_TEST_API = [/^src\/storage\//];

interface ImportEdge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(REPO_ROOT, path.join(entry.parentPath, entry.name)))
    .filter((file) => !file.startsWith(path.join('src', 'db', 'generated')) && !file.includes('node_modules'));
}

/** Every relative import of a file (static, re-export, dynamic), resolved to a repository path. */
function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean) => edges.push({ from: file, to: path.normalize(path.join(path.dirname(file), specifier)), typeOnly });
  for (const match of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?(?:[^;'"]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm)) add(match[2]!, Boolean(match[1]));
  for (const match of text.matchAll(/\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)) add(match[1]!, false);
  return edges;
}

/** `src/jobs/runner.ts` → `jobs`; `src/errors.ts` → `errors.ts`; outside src/ → null. */
function partOf(file: string): string | null {
  const parts = file.split(path.sep);
  if (parts[0] !== 'src') return null;
  return parts[1]!;
}

describe('layers', () => {
  const srcEdges = sourceFiles('src').flatMap(importsOf);

  it('every part of src/ is in the table', () => {
    const parts = new Set(sourceFiles('src').map((file) => partOf(file)!));
    const unknown = [...parts].filter((part) => !(part in ALLOWED) && !COMPOSITION.includes(part));
    expect(unknown, `add new src/ folders to ALLOWED (and a README.md saying what they may import): ${unknown.join(', ')}`).toEqual([]);
  });

  it('every folder of src/ with sources has a README.md (what lives there, what it may import)', () => {
    const folders = readdirSync(path.join(REPO_ROOT, 'src'), { withFileTypes: true }).filter((entry) => entry.isDirectory());
    const missing = folders.filter((folder) => !existsSync(path.join(REPO_ROOT, 'src', folder.name, 'README.md'))).map((folder) => folder.name);
    expect(missing).toEqual([]);
    // Nested folders too (graphql/schema, cli/commands…): any that holds a .ts file (the generated Prisma client aside).
    const withSources = new Set(sourceFiles('src').map((file) => path.dirname(file)));
    expect([...withSources].filter((folder) => !existsSync(path.join(REPO_ROOT, folder, 'README.md'))).sort()).toEqual([]);
  });

  it('src/ imports only in the allowed directions', () => {
    const violations = srcEdges.flatMap((edge) => {
      const from = partOf(edge.from)!;
      const to = partOf(edge.to);
      if (COMPOSITION.includes(from) || to === from) return [];
      if (to === null) return edge.to.startsWith('package.json') ? [] : [`${edge.from} → ${edge.to} (outside src/)`];
      if (SHARED.includes(to) || ALLOWED[from]?.includes(to)) return [];
      if (edge.typeOnly && TYPE_ONLY_OK.includes(to)) return [];
      return [`${edge.from} → ${edge.to}`];
    });
    expect(violations, violations.join('\n')).toEqual([]);
  });

  it('GraphQL resolvers never call Prisma directly', () => {
    const direct = sourceFiles('src/graphql').filter((file) => /\.prisma\b/.test(readFileSync(path.join(REPO_ROOT, file), 'utf8')));
    expect(direct, 'move the query into a catalog/jobs/lifecycle service').toEqual([]);
  });

  it('plugins import only the plugin API from src/', () => {
    const violations = sourceFiles('plugins')
      .flatMap(importsOf)
      .filter((edge) => {
        const to = edge.to.split(path.sep).join('/');
        if (!to.startsWith('src/')) return false;
        const isTest = /\.test\.ts$|\/test\//.test(edge.from);
        return !PLUGIN_API.some((allowed) => allowed.test(to)) && !(isTest && PLUGIN_TEST_API.some((allowed) => allowed.test(to)));
      })
      .map((edge) => `${edge.from} → ${edge.to}`);
    expect(violations, violations.join('\n')).toEqual([]);
  });

  it('the checker sees imports: the jobs → catalog edge is found, a catalog → jobs edge would not be allowed', () => {
    expect(srcEdges.some((edge) => partOf(edge.from) === 'jobs' && partOf(edge.to) === 'catalog')).toBe(true);
    expect(ALLOWED.catalog).not.toContain('jobs');
    expect(importsOf('src/gateway.ts').some((edge) => edge.to === path.join('plugins', 'index.ts'))).toBe(true);
  });
});
