#!/usr/bin/env node
// The `backup-gateway` command: runs the TypeScript CLI (src/cli/main.ts) through tsx, as `npm start` does.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
