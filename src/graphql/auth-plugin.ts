// Checks the caller's scope against the root fields of the operation before anything executes.
import { GraphQLError, Kind, getOperationAST, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { hasScope, type Scope } from '../auth/authenticate.ts';
import { GatewayError } from '../errors.ts';
import { MUTATION_SCOPES, QUERY_FIELD_SCOPES, QUERY_SCOPE, SUBSCRIPTION_SCOPE } from './access.ts';
import type { GraphQLContext } from './context.ts';
import { toGraphQLError } from './errors.ts';

const RANK: Record<Scope, number> = { VIEWER: 1, OPERATOR: 2, ADMIN: 3 };

export function useScopeCheck(): Plugin<GraphQLContext> {
  const check = (document: DocumentNode, operationName: string | null | undefined, context: GraphQLContext): GraphQLError | null => {
    if (!context.auth.ok) return toGraphQLError(context.auth.error);
    const operation = getOperationAST(document, operationName);
    if (!operation) return null; // graphql-js reports this itself
    const fields = rootFieldNames(operation.selectionSet, document);
    let needed: Scope = operation.operation === 'subscription' ? SUBSCRIPTION_SCOPE : QUERY_SCOPE;
    for (const field of fields) {
      const scope = operation.operation === 'mutation' ? (MUTATION_SCOPES[field] ?? 'ADMIN') : (QUERY_FIELD_SCOPES[field] ?? needed);
      if (RANK[scope] > RANK[needed]) needed = scope;
    }
    if (hasScope(context.auth.principal, needed)) return null;
    return toGraphQLError(new GatewayError('insufficient_scope', `This operation needs the ${needed} scope; the key used has ${context.auth.principal.scope}`));
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = check(args.document, args.operationName, args.contextValue as GraphQLContext);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = check(args.document, args.operationName, args.contextValue as GraphQLContext);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}

function rootFieldNames(selectionSet: SelectionSetNode, document: DocumentNode, seen = new Set<string>()): string[] {
  const names: string[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) names.push(selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) names.push(...rootFieldNames(selection.selectionSet, document, seen));
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
      if (fragment) names.push(...rootFieldNames(fragment.selectionSet, document, seen));
    }
  }
  return names;
}
