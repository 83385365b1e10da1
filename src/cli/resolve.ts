// Names or ids: the CLI accepts an engine's name wherever it takes its id.
import type { GatewayClient } from './client.ts';
import { CliError } from './errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function resolveEngineId(client: GatewayClient, nameOrId: string): Promise<string> {
  const { engines } = await client.request<{ engines: Array<{ id: string; name: string }> }>('{ engines { id name } }');
  const match = engines.find((e) => e.name === nameOrId) ?? (UUID.test(nameOrId) ? engines.find((e) => e.id === nameOrId.toLowerCase()) : undefined);
  if (!match) {
    const known = engines.map((e) => e.name).join(', ') || 'none registered';
    throw new CliError('engine_not_found', `No engine named or with id "${nameOrId}" (engines: ${known})`);
  }
  return match.id;
}
