// GraphiQL at GET /graphql, entirely from this host: the page, its script, styles and editor workers come inlined
// from @graphql-yoga/render-graphiql (yoga's default page loads them from unpkg.com, a blank page offline).
// Subscriptions go over SSE, so the headers typed into GraphiQL (Authorization) travel as HTTP headers.
import type { GraphiQLOptions } from 'graphql-yoga';
import { CSRF_HEADER } from './access-guards.ts';

/** The walk-through of the README, as the first tab: run one operation at a time with the ▶ menu. */
export const WALKTHROUGH_OPERATIONS = `# Backup gateway walk-through. Put your key in Headers: {"Authorization": "Bearer <key>"}.
# Run the operations in order (▶ lists them), pasting ids from one answer into the next.

mutation RegisterEngine {
  registerEngine(input: {name: "local", plugin: "meilisearch", config: {url: "http://127.0.0.1:7700"}}) {
    id
    health { ok version message }
  }
}

mutation StartBackup {
  startBackup(input: {engineId: "<engine id>"}) { id status }
}

subscription FollowJob {
  jobUpdated(id: "<job id>") {
    status
    progress { phase completed total unit percent bytes }
    error { code message }
  }
}

query ListBackups {
  backups(first: 20) {
    nodes { id name status sizeBytes documentCount createdAt }
    totalCount
  }
}

mutation RestoreWithRename {
  startRestore(input: {backupId: "<backup id>", rename: [{from: "movies", to: "movies_restored"}]}) { id status }
}
`;

export function graphiqlOptions(): GraphiQLOptions {
  return {
    title: 'Backup gateway',
    subscriptionsProtocol: 'SSE',
    defaultTabs: [{ query: WALKTHROUGH_OPERATIONS, headers: '{\n  "Authorization": "Bearer <key>"\n}' }],
    shouldPersistHeaders: false,
    // SSE subscriptions are GET requests: they carry the header the CSRF check asks of bodies that are not JSON.
    additionalHeaders: { [CSRF_HEADER]: '1' },
  };
}

/** The page, with its 9 MB of assets inlined; the module is loaded on the first request, not at start. */
export async function renderOfflineGraphiQL(options?: GraphiQLOptions): Promise<string> {
  const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
  return renderGraphiQL(options);
}
