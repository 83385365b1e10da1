// testStorageLocation: the "Test connection" of the dashboard's S3 form — the checks and probe of registerStorage
// (reach the bucket, write, read back, delete) without saving anything. ADMIN (access.ts), like registerStorage:
// it takes credentials and makes the gateway call a URL. Descriptions sit beside the fields.
import { builder } from '../builder.ts';
import { StorageCredentialsInput } from './storage.ts';

const StorageTestRef = builder.objectRef<{ ok: boolean; code: string | null; message: string | null }>('StorageTest').implement({
  description: 'How a storage location not (yet) saved answered the probe registerStorage runs',
  fields: (t) => ({
    ok: t.exposeBoolean('ok', { description: 'The location was reached, written and read back' }),
    code: t.exposeString('code', { nullable: true, description: 'The error code, when not ok' }),
    message: t.exposeString('message', { nullable: true, description: 'Why not, when not ok (secrets scrubbed)' }),
  }),
});

const TestStorageLocationInput = builder.inputType('TestStorageLocationInput', {
  description: 'An S3 location to try, as registerStorage would take it',
  fields: (t) => ({
    url: t.string({ required: true, description: 's3://bucket/prefix' }),
    endpoint: t.string({ description: 'S3-compatible server, e.g. http://minio:9000; AWS when omitted' }),
    region: t.string({ description: 'The S3 region' }),
    forcePathStyle: t.boolean({ description: 'Path-style addressing (MinIO and most S3-compatible servers)' }),
    credentials: t.field({ type: StorageCredentialsInput, required: true, description: 'The credentials to try; never stored by this test' }),
  }),
});

builder.mutationField('testStorageLocation', (t) =>
  t.field({
    type: StorageTestRef,
    description: 'Tries an S3 location (reach, write, read back) before it is registered; stores nothing',
    args: { input: t.arg({ type: TestStorageLocationInput, required: true, description: 'The location to try' }) },
    resolve: (_root, { input }, ctx) => ctx.gateway.storages.test(input),
  }),
);
