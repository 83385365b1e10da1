// MagnetoDB table names: the engine's own rule (magnetodb/api/validation.py: `^[a-zA-Z0-9_.-]{3,255}$`).
// Every table name is still encoded where it goes into a path (client.ts).
import { nameRule } from '../../src/plugin.ts';

export const TABLE_NAME_PATTERN = /^[A-Za-z0-9_.-]{3,255}$/;

export const validateTableName = nameRule({
  what: 'MagnetoDB table name',
  pattern: TABLE_NAME_PATTERN,
  description: 'use 3–255 characters among A–Z, a–z, 0–9, "_", "." and "-"',
});
