// Documents payloads as the engine reads them when the request arrives (document_formats.rs and
// `document_addition`): content types, JSON / NDJSON / CSV parsing, and the request-time errors.

import { MeiliError } from './errors.ts';
import { payloadTooLarge, parseMime, type EmulatorRequest } from './http.ts';
import { parseJson, position, splitJsonStream, streamError } from './json-syntax.ts';
import { isObject } from './params.ts';
import type { Doc } from './state.ts';

export type PayloadFormat = 'json' | 'ndjson' | 'csv';

const ACCEPTED = '`application/json`, `application/x-ndjson`, `text/csv`';

/** `document_addition`'s content-type match, including the csvDelimiter combinations. */
export function payloadFormat(req: EmulatorRequest, csvDelimiter: string | undefined): PayloadFormat {
  const header = req.headers['content-type'];
  const mime = parseMime(header);
  if (header === undefined) throw new MeiliError('missing_content_type', `A Content-Type header is missing. Accepted values for the Content-Type header are: ${ACCEPTED}`);
  if (!mime) throw new MeiliError('invalid_content_type', `The Content-Type \`${header}\` is invalid. Accepted values for the Content-Type header are: ${ACCEPTED}`);
  const essence = `${mime.type}/${mime.subtype}`;
  if (essence === 'text/csv') return 'csv';
  if (essence === 'application/json' || essence === 'application/x-ndjson') {
    if (csvDelimiter !== undefined) {
      throw new MeiliError(
        'invalid_content_type',
        `The Content-Type \`${essence}\` does not support the use of a csv delimiter. The csv delimiter can only be used with the Content-Type \`text/csv\`.`,
      );
    }
    return essence === 'application/json' ? 'json' : 'ndjson';
  }
  throw new MeiliError('invalid_content_type', `The Content-Type \`${essence}\` is invalid. Accepted values for the Content-Type header are: ${ACCEPTED}`);
}

const malformed = (format: PayloadFormat, detail: string): MeiliError =>
  new MeiliError('malformed_payload', `The \`${format}\` payload provided is malformed. \`Couldn't serialize document value: ${detail}\`.`);

/** serde's `invalid type` wording for a value that is not a JSON object. */
function serdeKind(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return `boolean \`${value}\``;
  if (typeof value === 'number') return Number.isInteger(value) ? `integer \`${value}\`` : `floating point \`${value}\``;
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  return Array.isArray(value) ? 'sequence' : 'map';
}

/**
 * Reads a documents payload into objects, with the engine's request-time errors. A non-object inside
 * a JSON array or an NDJSON stream is an internal (500) error in the engine (its serde Data error is
 * turned into an io::Error), reproduced here.
 */
export function parseDocumentsPayload(req: EmulatorRequest, format: PayloadFormat, csvDelimiter = ','): Doc[] {
  if (req.bodyTooLarge) throw payloadTooLarge();
  if (req.body.length === 0) throw new MeiliError('missing_payload', `A ${format} payload is missing.`);
  const text = req.body.toString('utf8');
  if (format === 'csv') return parseCsv(text, csvDelimiter);
  if (format === 'ndjson') {
    const docs: Doc[] = [];
    for (const piece of splitJsonStream(text)) {
      let value: unknown;
      try {
        value = JSON.parse(piece.text);
      } catch {
        throw malformed('ndjson', streamError(text, piece).message);
      }
      if (!isObject(value)) throw new MeiliError('internal', `invalid type: ${serdeKind(value)}, expected a map at ${position(text, piece.start + piece.text.length)}`);
      docs.push(value);
    }
    return docs;
  }
  const parsed = parseJson(text);
  if (!parsed.ok) throw malformed('json', parsed.error.message);
  const value = parsed.value;
  if (Array.isArray(value)) {
    for (const item of value) {
      if (!isObject(item)) throw new MeiliError('internal', `invalid type: ${serdeKind(item)}, expected a map`);
    }
    return value as Doc[];
  }
  if (isObject(value)) return [value];
  throw malformed('json', 'data are neither an object nor a list of objects');
}

/** RFC 4180 rows: quoted cells may hold delimiters, newlines and doubled quotes. */
function csvRows(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const endCell = (): void => {
    row.push(cell);
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') cell += c;
      else if (text[i + 1] === '"') {
        cell += '"';
        i++;
      } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) endCell();
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endCell();
      rows.push(row);
      row = [];
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) {
    endCell();
    rows.push(row);
  }
  return rows;
}

/** read_csv: a header row of `name` or `name:string|number|boolean`, empty cells become null. */
function parseCsv(text: string, delimiter: string): Doc[] {
  const rows = csvRows(text, delimiter);
  const [header, ...records] = rows.filter((r) => !(r.length === 1 && r[0] === ''));
  if (!header) return [];
  const fields = header.map((h) => {
    const colon = h.lastIndexOf(':');
    const type = colon >= 0 ? h.slice(colon + 1) : '';
    return ['string', 'number', 'boolean'].includes(type) ? { name: h.slice(0, colon), type } : { name: h, type: 'string' };
  });
  return records.map((record, line) =>
    Object.fromEntries(
      fields.map((f, i) => {
        const raw = record[i] ?? '';
        const trimmed = raw.trim();
        if (f.type === 'number') {
          if (trimmed === '') return [f.name, null];
          const n = Number(trimmed);
          if (Number.isNaN(n))
            throw new MeiliError('malformed_payload', `The \`csv\` payload provided is malformed: \`Error parsing number "${raw}" at line ${line + 1}: invalid float literal\`.`);
          return [f.name, n];
        }
        if (f.type === 'boolean') {
          if (trimmed === '') return [f.name, null];
          if (trimmed !== 'true' && trimmed !== 'false')
            throw new MeiliError(
              'malformed_payload',
              `The \`csv\` payload provided is malformed: \`Error parsing boolean "${raw}" at line ${line + 1}: provided string was not \`true\` or \`false\`\`.`,
            );
          return [f.name, trimmed === 'true'];
        }
        return [f.name, raw === '' ? null : raw];
      }),
    ),
  );
}
