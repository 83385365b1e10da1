// The price of a query before it runs, as graphql-armor's cost-limit computes it (objects 2, scalars 1, ×1.5 per
// level, a list × its page size), with one difference that matters: graphql-armor multiplies only by a literal
// `first`, so `first: $n` cost as a page of one. Here a page size sent as a variable costs its field's maximum,
// so no list can be made larger than its price says (issue 13.11: 100 aliases over a 100k-collection backup).
import { GraphQLError, Kind, type ASTVisitor, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql';

export const COST = { objectCost: 2, scalarCost: 1, depthCostFactor: 1.5 } as const;

/** Fields whose `first`/`last`/`count` bounds their list, and the largest page each accepts. */
export const PAGE_SIZE_LIMITS: Record<string, number> = {
  backups: 500,
  jobs: 500,
  collections: 1000,
  artifacts: 1000,
  webhookDeliveries: 500,
  deliveries: 500,
  events: 1000,
};
const PAGE_ARGUMENTS = new Set(['first', 'last']);

function multiplier(field: FieldNode): number {
  for (const argument of field.arguments ?? []) {
    if (!PAGE_ARGUMENTS.has(argument.name.value)) continue;
    // A literal beyond the field's maximum is refused or clamped by its resolver: it costs the maximum.
    if (argument.value.kind === Kind.INT) return Math.min(Math.max(Number.parseInt(argument.value.value, 10) || 1, 1), PAGE_SIZE_LIMITS[field.name.value] ?? Infinity);
    if (argument.value.kind === Kind.VARIABLE) return PAGE_SIZE_LIMITS[field.name.value] ?? 1;
  }
  return 1;
}

function selectionCost(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): number {
  let cost = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === '__schema' || selection.name.value === '__type') continue; // introspection is exempt, as in graphql-armor
      cost += COST.depthCostFactor * fieldCost(selection, fragments, seen);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      cost += COST.depthCostFactor * selectionCost(selection.selectionSet, fragments, seen);
    } else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment || seen.has(fragment.name.value)) continue; // cycles are reported by graphql-js itself
      cost += COST.depthCostFactor * selectionCost(fragment.selectionSet, fragments, new Set([...seen, fragment.name.value]));
    }
  }
  return cost;
}

function fieldCost(field: FieldNode, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): number {
  if (!field.selectionSet) return COST.scalarCost;
  return (COST.objectCost + selectionCost(field.selectionSet, fragments, seen)) * multiplier(field);
}

/** The cost of each operation in a document (the top level is not multiplied by the depth factor). */
export function operationCosts(document: DocumentNode): number[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const costs: number[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    costs.push(selectionCost(definition.selectionSet, fragments, new Set()) / COST.depthCostFactor);
  }
  return costs;
}

/** Reports `Query Cost limit of N exceeded, found M.` (coded query_too_complex by the caller). */
export function costLimitRule(maxCost: number, onReject: (context: ValidationContext, error: GraphQLError) => void) {
  return (context: ValidationContext): ASTVisitor => ({
    Document(document) {
      for (const cost of operationCosts(document)) {
        if (cost > maxCost) onReject(context, new GraphQLError(`Query Cost limit of ${maxCost} exceeded, found ${Math.round(cost)}.`));
      }
    },
  });
}
