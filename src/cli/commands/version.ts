// backup-gateway version: this CLI's version and the gateway's (`--version` prints only the CLI's, offline).
import { packageManifest } from '../../package-files.ts';
import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { printJson } from '../output.ts';

const version: Command = {
  words: ['version'],
  summary: 'Print the CLI version and the version of the gateway it talks to.',
  async run(ctx) {
    let server: string | null = null;
    let problem: CliError | null = null;
    try {
      server = (await ctx.client().request<{ gatewayInfo: { version: string } }>('{ gatewayInfo { version } }')).gatewayInfo.version;
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      problem = error;
    }
    if (ctx.json) printJson(ctx.io, { client: packageManifest().version, server, ...(problem ? { error: { code: problem.code, message: problem.message } } : {}) });
    else ctx.io.stdout.write(`client: ${packageManifest().version}\nserver: ${server ?? `unknown (${problem?.code}: ${problem?.message})`}\n`);
    return problem ? problem.exitCode : 0;
  },
};

export const versionCommands: Command[] = [version];
