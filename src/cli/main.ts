// Entry of the `backup-gateway` command (bin/backup-gateway.js loads it through tsx).
import { processIo } from './output.ts';
import { runCli } from './run.ts';

const code = await runCli(process.argv.slice(2), processIo());
// `serve` keeps the process alive by its server; every other command ends here.
process.exitCode = code;
