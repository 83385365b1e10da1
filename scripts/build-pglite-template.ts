// postinstall: builds the migrated PGlite template so the first `npm start` opens its database in ~0.5 s.
// Best effort: without it the gateway runs initdb itself.
import { buildPGliteTemplate } from '../src/db/pglite-template.ts';

try {
  await buildPGliteTemplate();
} catch (error) {
  console.warn(`backup-gateway: could not prepare the embedded database template (${(error as Error).message}); first start will be slower`);
}
