// Holds the emulator to Typesense's own published OpenAPI description (read from ../shared at test time):
// a response is checked against the schema the spec gives for its path, method and status.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { sharedPath } from '../../helpers/requirements.ts';

const SPECS = {
  v28: sharedPath('reference', 'typesense-openapi', 'openapi-v28.yml'),
  v30: sharedPath('reference', 'typesense-openapi', 'openapi-v30.yml'),
} as const;

export type SpecVersion = keyof typeof SPECS;

const validators = new Map<string, ValidateFunction>();
let ajv: Ajv | undefined;

function compiler(): Ajv {
  if (ajv !== undefined) return ajv;
  // OpenAPI 3.0 schemas carry `example`, `x-go-type`, … : not JSON Schema keywords, ignored.
  ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  for (const [version, file] of Object.entries(SPECS)) {
    const document = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    ajv.addSchema({ ...document, $id: `typesense-${version}` } as never);
  }
  return ajv;
}

const pointer = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The schema errors of `body` against the spec's response schema for `path` (the spec's template, e.g.
 * `/collections/{collectionName}`), `method` and `status`; [] when it conforms. Throws when the spec
 * describes no JSON body for that response, so a test cannot pass by checking nothing.
 */
export function openApiErrors(version: SpecVersion, method: string, path: string, status: number, body: unknown): string[] {
  const ref = `typesense-${version}#/paths/${pointer(path)}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema`;
  let validate = validators.get(ref);
  if (validate === undefined) {
    validate = compiler().compile({ $ref: ref });
    validators.set(ref, validate);
  }
  if (validate(body)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
}
