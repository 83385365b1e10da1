// Typesense collection names. The engine itself asks only for a non-empty string (core_api.cpp /
// collection_manager.cpp: "Parameter `name` must be a non-empty string."); what the gateway adds is what an
// HTTP path cannot carry as one segment: no "/" (the router splits on it), no control characters, not "."
// or "..". Every name is still encoded where it goes into a path (client.ts).
import { nameRule } from '../../src/plugin.ts';

export const COLLECTION_NAME_PATTERN = /^(?!\.\.?$)[^/\u0000-\u001f\u007f]{1,512}$/u;

export const validateCollectionName = nameRule({
  what: 'Typesense collection name',
  pattern: COLLECTION_NAME_PATTERN,
  description: 'a non-empty name (at most 512 characters) without "/" or control characters, not "." or ".."',
});
