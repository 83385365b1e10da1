// How the embedded PostgreSQL (PGlite) is started. Its default shared_buffers is 128 MB, allocated inside the
// WebAssembly memory at every start: ~120 MB of resident memory and ~0.6 s of start-up a backup catalog never
// uses (its working set is a few MB; pages not in the buffers are one file read away through the OS cache).
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';

/** GATEWAY_EMBEDDED_SHARED_BUFFERS' default. */
export const EMBEDDED_SHARED_BUFFERS = '16MB';

/** PGlite's own start parameters plus the buffer size, e.g. `16MB` (PostgreSQL's memory units). */
export function embeddedOptions(sharedBuffers: string = EMBEDDED_SHARED_BUFFERS): Pick<PGliteOptions, 'startParams'> {
  return { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffers}`] };
}
