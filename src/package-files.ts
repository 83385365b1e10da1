// Files the gateway reads at run time by path — prisma/migrations, the dashboard's static files, its own
// package.json — are found from the package root, so the same code runs from src/ (tsx, the tests) and from the
// compiled build in dist/src/ (`npm start`, the installed package, the container image).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageManifest {
  name: string;
  version: string;
}

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'backup-gateway') return dir;
    if (path.dirname(dir) === dir) throw new Error(`backup-gateway: no package.json of backup-gateway above ${from}`);
  }
}

/** The folder holding the gateway's package.json (the repository, or node_modules/backup-gateway). */
export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A path inside the package, e.g. `packagePath('prisma', 'migrations')`. */
export function packagePath(...segments: string[]): string {
  return path.join(PACKAGE_ROOT, ...segments);
}

let manifest: PackageManifest | undefined;

/** The gateway's own package.json (name, version). */
export function packageManifest(): PackageManifest {
  manifest ??= JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as PackageManifest;
  return manifest;
}
