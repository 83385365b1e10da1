// What a local storage location may be: a folder of its own. Reconcile deletes orphan files under a location, so a
// location at `/`, the data directory, a home or system folder, or a folder already full of other files would let it
// delete what is not a backup. Symlinks are resolved before any comparison.
import { readdir, realpath } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GatewayError } from '../errors.ts';
import { OWNER_MARKER } from '../storage/local-fs.ts';

/** Nothing at or below these is ever a location. */
const SYSTEM_TREES = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/run',
  '/sbin',
  '/snap',
  '/sys',
  '/usr',
  '/System',
  '/Library',
  '/private/etc',
];
/** These folders themselves are shared by many programs; a dedicated folder inside one of them is fine. */
const SHARED_FOLDERS = [
  '/home',
  '/Users',
  '/root',
  '/var',
  '/var/lib',
  '/var/tmp',
  '/var/backups',
  '/var/cache',
  '/var/log',
  '/tmp',
  '/srv',
  '/opt',
  '/mnt',
  '/media',
  '/private',
  '/private/tmp',
  '/private/var',
];

export interface ProtectedFolders {
  /** GATEWAY_DATA_DIR: the database, secret.key and the built-in backups live here. */
  dataDir: string;
  /** Other folders the gateway owns (dumps, imports), refused the same way as the data directory. */
  others?: readonly string[];
}

/** `folder` with every symlink resolved, including those of its existing ancestors when it does not exist yet. */
export async function resolveReal(folder: string): Promise<string> {
  const rest: string[] = [];
  for (let current = path.resolve(folder); ; current = path.dirname(current)) {
    try {
      return path.join(await realpath(current), ...rest.reverse());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(current) === current) throw error;
      rest.push(path.basename(current));
    }
  }
}

function within(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function refuse(folder: string, why: string): GatewayError {
  return new GatewayError('invalid_storage_location', `${folder} cannot be a storage location: ${why}; use a dedicated folder`, { details: { path: folder } });
}

/**
 * Throws `invalid_storage_location` unless `folder` may hold backups: not `/`, not a system or shared folder, a home
 * folder itself, the data directory (or inside it, or a parent of it), nor overlapping another location; and, when it
 * exists already, either empty or marked as made by the gateway.
 */
export async function assertDedicatedFolder(folder: string, guard: ProtectedFolders & { locations?: readonly string[] }): Promise<string> {
  const real = await resolveReal(folder);
  if (real === path.parse(real).root) throw refuse(folder, 'it is the file system root');
  for (const tree of SYSTEM_TREES) if (within(real, tree)) throw refuse(folder, `it is inside the system folder ${tree}`);
  const homes = new Set([...SHARED_FOLDERS, os.homedir()]);
  if (homes.has(real) || ['/home', '/Users'].includes(path.dirname(real))) throw refuse(folder, 'it is a shared or home folder');
  for (const owned of [guard.dataDir, ...(guard.others ?? [])]) {
    const ownedReal = await resolveReal(owned);
    if (within(real, ownedReal)) throw refuse(folder, `it is ${real === ownedReal ? '' : 'inside '}a folder of the gateway (${owned})`);
    if (within(ownedReal, real)) throw refuse(folder, `it contains a folder of the gateway (${owned})`);
  }
  for (const location of guard.locations ?? []) {
    const other = await resolveReal(location);
    if (within(real, other) || within(other, real)) throw refuse(folder, `it overlaps the storage location ${location}`);
  }
  let entries: string[] = [];
  try {
    entries = await readdir(real);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw refuse(folder, 'it is a file');
    if (code !== 'ENOENT') throw new GatewayError('storage_unreachable', `cannot read ${folder}: ${(error as Error).message}`);
  }
  if (entries.length > 0 && !entries.includes(OWNER_MARKER)) throw refuse(folder, `it holds files the gateway did not write (no ${OWNER_MARKER} marker)`);
  return real;
}
