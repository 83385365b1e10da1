// copyEngine (issue 16): a COPY job in which the source engine itself sends its collections to another registered
// engine of the same plugin (Meilisearch `POST /export`); followed like any job with jobUpdated.
import { builder } from '../builder.ts';
import { actorOf } from '../context.ts';
import { JobRef } from './job.ts';

const CopyEngineInput = builder.inputType('CopyEngineInput', {
  fields: (t) => ({
    sourceEngineId: t.id({ required: true }),
    targetEngineId: t.id({ required: true }),
    collections: t.stringList(),
    filter: t.string(),
    timeoutSeconds: t.int(),
  }),
});

builder.mutationFields((t) => ({
  copyEngine: t.field({
    type: JobRef,
    args: { input: t.arg({ type: CopyEngineInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.gateway.copies.start(
        {
          sourceEngineId: String(input.sourceEngineId),
          targetEngineId: String(input.targetEngineId),
          collections: input.collections ?? null,
          filter: input.filter ?? null,
          timeoutSeconds: input.timeoutSeconds ?? null,
        },
        actorOf(ctx),
      ),
  }),
}));
