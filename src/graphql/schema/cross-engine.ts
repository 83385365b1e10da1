// The mapping of a restore into another engine's plugin (issue 20 §2), shown on its plan.
import type { CrossEnginePlan } from '../../jobs/restore-plan.ts';
import { builder } from '../builder.ts';
import { RestorePlanRef } from './restore-plan.ts';

type MappedCollection = CrossEnginePlan['collections'][number];
type MappedField = MappedCollection['fields'][number];

const NeutralFieldRef = builder.objectRef<MappedField>('NeutralField').implement({
  description: 'One field of the neutral description: its type and what it is used for',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The field (attribute) name' }),
    type: t.exposeString('type', { description: 'string, int, float, bool, their lists, object, object[], vector or auto' }),
    roles: t.exposeStringList('roles', { description: 'searchable, filterable, sortable, facet, vector' }),
    dims: t.int({ nullable: true, description: 'Vectors: their dimensions', resolve: (f) => f.dims ?? null }),
    inferred: t.boolean({ description: 'The source declares no type: inferred from sampled documents, checked on every one', resolve: (f) => f.inferred ?? false }),
  }),
});

const CrossEngineCollectionRef = builder.objectRef<MappedCollection>('CrossEngineCollection').implement({
  description: 'How one collection maps from the source engine to the target engine',
  fields: (t) => ({
    source: t.exposeString('source', { description: 'Collection in the backup' }),
    target: t.exposeString('target', { description: 'Collection on the target engine' }),
    primaryKey: t.exposeString('primaryKey', { nullable: true, description: "The source's document id (hash:range for composite keys)" }),
    fields: t.field({ type: [NeutralFieldRef], description: 'The neutral fields', resolve: (c) => c.fields }),
    conversions: t.exposeStringList('conversions', { description: "Each mapping onto the target's schema and settings" }),
    notCarried: t.exposeStringList('notCarried', { description: 'What has no counterpart on the target' }),
  }),
});

const CrossEnginePlanRef = builder.objectRef<CrossEnginePlan>('CrossEnginePlan').implement({
  description: 'A restore into an engine of another plugin: the mapping through the neutral description',
  fields: (t) => ({
    sourcePlugin: t.exposeString('sourcePlugin', { description: 'The plugin that made the backup' }),
    targetPlugin: t.exposeString('targetPlugin', { description: "The target engine's plugin" }),
    collections: t.field({ type: [CrossEngineCollectionRef], description: 'One mapping per restored collection', resolve: (p) => p.collections }),
  }),
});

builder.objectFields(RestorePlanRef, (t) => ({
  crossEngine: t.field({
    type: CrossEnginePlanRef,
    nullable: true,
    description: "Set when the target engine's plugin differs from the backup's: the mapping, what is converted and what is not carried",
    resolve: (p) => p.crossEngine ?? null,
  }),
}));
