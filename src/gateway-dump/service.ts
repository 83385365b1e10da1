// createGatewayDump for a running gateway: one dump at a time in this process (and across replicas, see
// create.ts), the target key kept out of logs, every dump audited.
import { GatewayError } from '../errors.ts';
import type { Gateway } from '../gateway.ts';
import { createGatewayDump, type CreateDumpOptions, type GatewayDumpInfo } from './create.ts';
import { gatewaySecretBox } from './secrets.ts';

export class GatewayDumpService {
  private running = false;

  constructor(private readonly gateway: Gateway) {}

  async create(options: Omit<CreateDumpOptions, 'dumpsDir'>, actor: string): Promise<GatewayDumpInfo> {
    // Checked and set before the first await: two requests arriving together cannot both pass.
    if (this.running) throw new GatewayError('dump_already_in_progress', 'A gateway dump is already being written; wait until it has finished');
    this.running = true;
    try {
      const { config, prisma, db, redactor } = this.gateway;
      redactor.add(options.targetSecretKey ?? undefined);
      const dump = await createGatewayDump({ prisma, secretBox: await gatewaySecretBox(config), databaseKind: db.kind }, { ...options, dumpsDir: config.dumpsDir });
      await this.gateway.audit.record(actor, 'gatewayDump.create', 'gatewayDump', dump.fileName, {
        secrets: dump.secrets,
        bytes: dump.bytes,
        sha256: dump.sha256,
      });
      this.gateway.logger.info('gateway dump written', { path: dump.path, bytes: dump.bytes, secrets: dump.secrets });
      return dump;
    } finally {
      this.running = false;
    }
  }
}

const services = new WeakMap<Gateway, GatewayDumpService>();

/** The dump service of a gateway, made on first use (the gateway itself needs nothing from it). */
export function gatewayDumps(gateway: Gateway): GatewayDumpService {
  let service = services.get(gateway);
  if (!service) {
    service = new GatewayDumpService(gateway);
    services.set(gateway, service);
  }
  return service;
}
