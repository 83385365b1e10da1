// backup-gateway engines copy <source> <target> (copyEngine, issue 16): the source engine sends its collections
// into the target engine itself (Meilisearch POST /export); --wait follows the COPY job.
import { type Command, listOption, requirePositional, stringOption } from '../command.ts';
import { JOB_FIELDS, type JobView } from '../follow.ts';
import { reportJob } from '../job-report.ts';
import { resolveEngineId } from '../resolve.ts';

const copy: Command = {
  words: ['engines', 'copy'],
  summary: 'Copy collections of one engine into another engine of the same plugin (Meilisearch /export); --wait follows it.',
  args: '<source> <target>',
  options: {
    collections: { type: 'string', multiple: true, value: '<a,b>', description: 'Only these collections (default: all)' },
    filter: { type: 'string', value: '<expression>', description: "Only the documents matching the engine's filter expression" },
    wait: { type: 'boolean', description: 'Follow the copy job to its end' },
  },
  details: "Example: backup-gateway engines copy meili-prod meili-staging --collections movies --filter 'year > 2000' --wait",
  async run(ctx) {
    const client = ctx.client();
    const sourceEngineId = await resolveEngineId(client, requirePositional(ctx, 0, '<source>', copy));
    const targetEngineId = await resolveEngineId(client, requirePositional(ctx, 1, '<target>', copy));
    const collections = listOption(ctx.options, 'collections');
    const filter = stringOption(ctx.options, 'filter');
    const input = { sourceEngineId, targetEngineId, ...(collections.length > 0 ? { collections } : {}), ...(filter ? { filter } : {}) };
    const { copyEngine: job } = await client.request<{ copyEngine: JobView }>(`mutation($i: CopyEngineInput!) { copyEngine(input: $i) { ${JOB_FIELDS} } }`, { i: input });
    return reportJob(ctx, job, ctx.options.wait === true);
  },
};

export const engineCopyCommands: Command[] = [copy];
