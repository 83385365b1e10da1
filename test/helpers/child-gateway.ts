// A gateway in a child process, as `npm start` runs it, for tests that kill it or time its start.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildGateway {
  process: ChildProcess;
  url: string;
  output: () => string;
  gql(query: string, variables?: Record<string, unknown>): Promise<Record<string, any>>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** `options.cwd`: the gateway's working directory (default the repository; e.g. a project with plugin packages installed). */
export async function spawnGateway(
  env: Record<string, string>,
  command: string[] = [process.execPath, '--import', 'tsx', 'src/main.ts'],
  options: { cwd?: string } = {},
): Promise<ChildGateway> {
  const [bin, ...args] = command;
  const child = spawn(bin!, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', GATEWAY_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"msg":"gateway listening","url":"([^"]+)"/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code} before listening:\n${output}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    url,
    output: () => output,
    async gql(query, variables) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(env.GATEWAY_MASTER_KEY ? { authorization: `Bearer ${env.GATEWAY_MASTER_KEY}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as Record<string, any>;
    },
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
