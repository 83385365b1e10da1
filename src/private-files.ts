// Data at rest is private to the gateway's user: the data directory is 0700, its files 0600 and its folders 0700,
// whatever the umask the gateway was started with. PGlite creates its files with the process umask (0666 under
// umask 000, so any local user could add an ADMIN key hash), hence the umask; explicit modes where the gateway
// writes files itself; and a pass over the data directory at start that repairs what older versions left open.
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;
/** Group and other permission bits: none may be set under the data directory. */
const SHARED_BITS = 0o077;

/** Sets the process umask to 077. Worker threads cannot (Node refuses), and the explicit modes still hold there. */
export function restrictUmask(): void {
  try {
    process.umask(0o077);
  } catch {
    // ERR_WORKER_UNSUPPORTED_OPERATION: embedded in a worker; explicit modes and privatizeTree() remain.
  }
}

/** mkdir -p with 0700, and 0700 on the folder itself even when it existed before. */
export async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(dir, PRIVATE_DIR_MODE);
}

/** Removes group/other bits from `root` and everything under it (symlinks are left alone); returns how many changed. */
export async function privatizeTree(root: string): Promise<number> {
  let changed = 0;
  const visit = async (entry: string): Promise<void> => {
    let info;
    try {
      info = await lstat(entry);
    } catch {
      return; // removed meanwhile (PGlite's temp files)
    }
    if (info.isSymbolicLink()) return;
    if ((info.mode & SHARED_BITS) !== 0) {
      await chmod(entry, info.mode & 0o7700 & ~SHARED_BITS).catch(() => undefined);
      changed += 1;
    }
    if (!info.isDirectory()) return;
    const names = await readdir(entry).catch(() => [] as string[]);
    // Side by side: PGlite's ~1,000 files one lstat after another took ~0.3 s of every start.
    await Promise.all(names.map((name) => visit(path.join(entry, name))));
  };
  await visit(root);
  return changed;
}
