// The Pothos builder. Defines no types: see schema/*.ts.
import SchemaBuilder from '@pothos/core';
import type { GraphQLContext } from './context.ts';

export interface GatewaySchemaTypes {
  Context: GraphQLContext;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    BigInt: { Input: bigint; Output: bigint | number };
  };
  DefaultFieldNullability: false;
}

export const builder = new SchemaBuilder<GatewaySchemaTypes>({ defaultFieldNullability: false });

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
