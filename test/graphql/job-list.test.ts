// jobs(...) reads only what a query selects (issue 17): the JSON columns when input or progress is asked for,
// the count when totalCount is — through fragments too — and answers the same either way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, type FragmentDefinitionNode, type GraphQLResolveInfo, type OperationDefinitionNode, type FieldNode } from 'graphql';
import { selectedFields } from '../../src/graphql/selection.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

function infoOf(query: string): GraphQLResolveInfo {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
  const fragments = Object.fromEntries(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === 'FragmentDefinition').map((d) => [d.name.value, d]));
  return { fieldNodes: [operation.selectionSet.selections[0] as FieldNode], fragments } as unknown as GraphQLResolveInfo;
}

describe('selectedFields', () => {
  it('sees fields through inline and named fragments, at a path', () => {
    const info = infoOf(`{ jobs { totalCount ...C } } fragment C on JobConnection { nodes { id ... on Job { progress { phase } } } }`);
    expect(selectedFields(info)).toEqual(new Set(['totalCount', 'nodes']));
    expect(selectedFields(info, ['nodes'])).toEqual(new Set(['id', 'progress']));
    expect(selectedFields(info, ['pageInfo'])).toBeNull();
  });
});

describe('jobs list', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ runJobs: false });
    for (let i = 0; i < 3; i++) {
      await t.gateway.prisma.job.create({
        data: {
          kind: 'BACKUP',
          status: 'SUCCEEDED',
          input: { collections: [`c${i}`], strategy: 'LOGICAL', type: 'FULL' },
          progress: { phase: 'done', completed: i, total: 3, unit: 'documents', updatedAt: new Date().toISOString() },
          timeoutMs: 60_000,
          createdBy: 'test',
          createdAt: new Date(Date.UTC(2026, 0, 1 + i)),
        },
      });
    }
  });
  afterAll(() => t.close());

  it('answers with the JSON columns and the count when they are selected, newest first', async () => {
    const answer = await t.gql(`{ jobs(first: 2) { totalCount pageInfo { hasNextPage } nodes { input progress { phase completed } } } }`);
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.jobs.totalCount).toBe(3);
    expect(answer.data!.jobs.pageInfo.hasNextPage).toBe(true);
    expect(answer.data!.jobs.nodes.map((job: { progress: { completed: number } }) => job.progress.completed)).toEqual([2, 1]);
    expect(answer.data!.jobs.nodes[0].input).toMatchObject({ collections: ['c2'] });
  });

  it('answers the same rows without them, and through fragments', async () => {
    const lean = await t.gql(`{ jobs(kind: [BACKUP]) { nodes { id kind status createdAt } } }`);
    expect(lean.errors).toBeUndefined();
    expect(lean.data!.jobs.nodes).toHaveLength(3);
    const fragments = await t.gql(`{ jobs { ...C } } fragment C on JobConnection { totalCount nodes { ... on Job { progress { completed } } } }`);
    expect(fragments.errors).toBeUndefined();
    expect(fragments.data!.jobs).toEqual({ totalCount: 3, nodes: [{ progress: { completed: 2 } }, { progress: { completed: 1 } }, { progress: { completed: 0 } }] });
  });
});
