// One gateway process per data directory: PGlite has no cross-process lock of its own, and two processes
// writing one PGlite data directory corrupt it.
import { readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GatewayError } from '../errors.ts';

export const LOCK_FILE_NAME = 'gateway.lock';

export interface DataDirLock {
  readonly path: string;
  release(): Promise<void>;
}

/** Lock files this process holds: a second open in the same process is as wrong as one in another. */
const heldHere = new Set<string>();

/**
 * Creates `<dataDir>/gateway.lock` holding this process's pid. A lock whose pid is no longer alive (a
 * crashed gateway) is taken over; a live one fails with `data_dir_locked`. The data directory must exist.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const dir = path.resolve(dataDir);
  const lockPath = path.join(dir, LOCK_FILE_NAME);
  // Two attempts: the second follows removing a stale lock.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockPath, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      heldHere.add(lockPath);
      return { path: lockPath, release: () => releaseLock(lockPath) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new GatewayError('internal', `Cannot create the lock file ${lockPath}: ${(error as Error).message}`, { cause: error });
      }
    }
    const holder = await readLockPid(lockPath);
    if (holder !== null && isHeldByLiveProcess(lockPath, holder)) {
      throw new GatewayError(
        'data_dir_locked',
        `Another gateway process (pid ${holder}) is using the data directory ${dir}; stop it or set GATEWAY_DATA_DIR to another directory`,
        { details: { pid: holder, dataDir: dir } },
      );
    }
    // Stale: its process is gone (or the file is unreadable garbage from a crash while writing it).
    await unlink(lockPath).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
  throw new GatewayError('data_dir_locked', `Another gateway process took the data directory ${dir} while a stale lock was being replaced; retry`);
}

async function readLockPid(lockPath: string): Promise<number | null> {
  try {
    const pid = Number.parseInt((await readFile(lockPath, 'utf8')).trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function isHeldByLiveProcess(lockPath: string, pid: number): boolean {
  // Our own pid in a lock we do not hold: a previous run of this container/host that got the same pid.
  if (pid === process.pid) return heldHere.has(lockPath);
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function releaseLock(lockPath: string): Promise<void> {
  if (!heldHere.delete(lockPath)) return;
  // Only remove it if it is still ours (someone may have judged it stale and replaced it).
  if ((await readLockPid(lockPath)) === process.pid) await unlink(lockPath);
}
