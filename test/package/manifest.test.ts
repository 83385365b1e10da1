// What a user reads before running anything (issue 14 §1, §2): the package manifest names a supported Node and keeps
// build tools out of the production install, the bin and `npm start` run the compiled build, the README opens with
// two commands, and the files a service ships with are there. The Dockerfile cannot be built here: its required
// parts are checked as text (test/package/pack.test.ts runs what the image runs).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/child-gateway.ts';

const read = (file: string): string => readFileSync(path.join(REPO_ROOT, file), 'utf8');
const manifest = JSON.parse(read('package.json')) as {
  engines: { node: string };
  bin: Record<string, string>;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  license: string;
};
const major = (version: string): number => Number(/(\d+)/.exec(version)![1]);

describe('package manifest and shipped files', () => {
  it('asks for Node >=22.15; .nvmrc and @types/node name the tested Node 24', () => {
    expect(manifest.engines.node).toBe('>=22.15');
    expect(major(read('.nvmrc'))).toBe(24);
    expect(major(manifest.devDependencies['@types/node']!)).toBe(24);
    // .ci/run puts Node 24 first on PATH when the machine's node is older.
    expect(read('.ci/run')).toMatch(/-lt 24 \][\s\S]*npm install --prefix \.ci\/node [^\n]* node@24/);
  });

  it('keeps build and test tools in devDependencies only', () => {
    for (const tool of ['tsx', 'prisma', 'typescript', 'vitest', 'eslint', 'prettier', 'pino-pretty', 'playwright-core', '@types/node']) {
      expect(manifest.devDependencies, tool).toHaveProperty([tool]);
      expect(manifest.dependencies, tool).not.toHaveProperty([tool]);
    }
  });

  it('runs the compiled dist/ with plain node: `npm start` and the backup-gateway bin', () => {
    expect(manifest.scripts.start).toBe('exec node dist/src/main.js');
    const bin = read(manifest.bin['backup-gateway']!);
    expect(bin).toMatch(/^#!\/usr\/bin\/env node\n/);
    expect(bin).toContain("import('../dist/src/cli/main.js')");
    expect(bin).not.toMatch(/tsx|esbuild/);
  });

  it('the README opens with exactly two commands: `npm ci && npm start` and `npm test`', () => {
    const first = /^```sh\n([\s\S]*?)^```/m.exec(read('README.md'))![1]!;
    const commands = first
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))
      .map((line) => line.replace(/\s{2,}#.*$/, ''));
    expect(commands).toEqual(['npm ci && npm start', 'npm test']);
  });

  it('ships LICENSE (Apache-2.0, as package.json says), CHANGELOG.md and SECURITY.md', () => {
    expect(manifest.license).toBe('Apache-2.0');
    expect(read('LICENSE')).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    expect(read('CHANGELOG.md')).toMatch(/^# Changelog\n[\s\S]*## \[Unreleased\]/);
    expect(existsSync(path.join(REPO_ROOT, 'SECURITY.md'))).toBe(true);
  });

  it('has a multi-stage Dockerfile on Node 24 slim: non-root, /data volume, HEALTHCHECK, STOPSIGNAL SIGTERM, plain node', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile.match(/^FROM node:24-slim/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER (?!root\b)\S+$/m);
    expect(dockerfile).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile).toMatch(/^STOPSIGNAL SIGTERM$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/src\/main\.js"\]$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });

  it('has a compose.yaml with PostgreSQL and the gateway', () => {
    const compose = parseYaml(read('compose.yaml')) as { services: Record<string, { image?: string; build?: string; environment?: Record<string, string> }> };
    expect(compose.services.postgres!.image).toMatch(/^postgres:/);
    expect(compose.services.gateway!.build).toBe('.');
    expect(compose.services.gateway!.environment!.DATABASE_URL).toMatch(/^postgresql:\/\/.*@postgres:5432\//);
  });
});
