// Imports every type file, then builds the schema.
import { lexicographicSortSchema } from 'graphql';
import { builder } from '../builder.ts';
import { describeSchema } from './descriptions.ts';
import './scalars.ts';
import './pagination.ts';
import './plugin.ts';
import './engine.ts';
import './backup.ts';
import './job.ts';
import './restore-plan.ts';
import './backup-set.ts';
import './cross-engine.ts';
import './api-key.ts';
import './storage.ts';
import './backup-lifecycle.ts';
import './retention.ts';
import './schedule.ts';
import './webhook.ts';
import './gateway-dump.ts';
import './gateway-info.ts';

export const schema = lexicographicSortSchema(describeSchema(builder.toSchema()));
