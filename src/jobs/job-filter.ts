// The filters of the jobs list (\`jobs(status:, kind:, engineId:, search:)\`) as a Prisma where clause.
import type { Job, Prisma } from '../db/client.ts';

export interface JobFilter {
  status?: Job['status'][] | null;
  kind?: Job['kind'][] | null;
  engineId?: string | null;
  /** An id prefix, or part of the engine's or the backup's name (any case). */
  search?: string | null;
}

/** Search text beyond this many characters is ignored. */
const SEARCH_CHARS = 200;

export function jobWhere(filter: JobFilter): Prisma.JobWhereInput {
  const search = filter.search?.trim().slice(0, SEARCH_CHARS);
  return {
    ...(filter.status?.length ? { status: { in: filter.status } } : {}),
    ...(filter.kind?.length ? { kind: { in: filter.kind } } : {}),
    ...(filter.engineId ? { engineId: filter.engineId } : {}),
    ...(search ? { OR: searchJobs(search) } : {}),
  };
}

/** What a job search matches: its id by prefix, its engine's or backup's name by part, any case. */
function searchJobs(text: string): Prisma.JobWhereInput[] {
  return [{ id: { startsWith: text.toLowerCase() } }, { engine: { name: { contains: text, mode: 'insensitive' } } }, { backup: { name: { contains: text, mode: 'insensitive' } } }];
}
