// Meilisearch index uids: the engine's own rule (meilisearch-types `IndexUid`: ASCII alphanumerics, `-` and
// `_`, at most 400 bytes). Anything else is refused before it is cataloged or sent, and every uid that goes
// into a URL path is still encoded (client.ts).
import { nameRule } from '../../src/plugin.ts';

export const INDEX_UID_PATTERN = /^[A-Za-z0-9_-]{1,400}$/;

export const validateIndexUid = nameRule({
  what: 'Meilisearch index uid',
  pattern: INDEX_UID_PATTERN,
  description: 'use 1–400 characters among A–Z, a–z, 0–9, "-" and "_"',
});
