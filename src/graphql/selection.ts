// Which fields a query asked for, so a list resolver reads only what is needed (issue 17): a connection's
// totalCount costs a count(*), a node's JSON columns cost their transfer and parse.
import { Kind, type FieldNode, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * Names of the fields selected under `path` (e.g. [] for the field itself, ['nodes'] for a connection's nodes),
 * through inline fragments and named fragments; null when it cannot tell (then read everything).
 */
export function selectedFields(info: GraphQLResolveInfo, path: readonly string[] = []): Set<string> | null {
  let sets: SelectionSetNode[] = info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  for (const step of path) {
    sets = fieldsOf(sets, info.fragments)
      .filter((field) => field.name.value === step)
      .flatMap((field) => (field.selectionSet ? [field.selectionSet] : []));
  }
  if (sets.length === 0) return null;
  return new Set(fieldsOf(sets, info.fragments).map((field) => field.name.value));
}

function fieldsOf(sets: SelectionSetNode[], fragments: Record<string, FragmentDefinitionNode>): FieldNode[] {
  const fields: FieldNode[] = [];
  const visit = (set: SelectionSetNode, depth: number): void => {
    if (depth > 20) return;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) fields.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet, depth + 1);
      else {
        const fragment = fragments[selection.name.value];
        if (fragment) visit(fragment.selectionSet, depth + 1);
      }
    }
  };
  for (const set of sets) visit(set, 0);
  return fields;
}
