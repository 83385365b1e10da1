// `npm run schema`: writes schema.graphql at the repository root.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSchemaFile } from '../src/graphql/print-schema.ts';

const target = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'schema.graphql');
fs.writeFileSync(target, renderSchemaFile());
console.log(`wrote ${path.relative(process.cwd(), target)}`);
