#!/usr/bin/env node
// The `backup-gateway` command: the compiled CLI in dist/ (`npm run build`; `npm run cli` builds when stale), run by
// plain node.
await import('../dist/src/cli/main.js');
