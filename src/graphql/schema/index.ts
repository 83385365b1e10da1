// Imports every type file, then builds the schema.
import { lexicographicSortSchema } from 'graphql';
import { builder } from '../builder.ts';
import './scalars.ts';
import './pagination.ts';
import './plugin.ts';
import './engine.ts';
import './backup.ts';
import './job.ts';
import './api-key.ts';

export const schema = lexicographicSortSchema(builder.toSchema());
