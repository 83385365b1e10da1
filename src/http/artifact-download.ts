// GET /backups/<id>/artifacts/<path> (the path as Backup.artifacts lists it, e.g. native/snapshot.tar.gz): streams one stored file of a backup (e.g. a Typesense snapshot archive for
// `backup-gateway backup download`), decrypted and checked against its sha256 while it streams. OPERATOR scope:
// a native backup holds everything the engine holds, secrets included. Only a path the catalog lists for that
// backup is served — never a path built from the URL — so traversal cannot reach anything else.
import type { Gateway } from '../gateway.ts';
import { hasScope } from '../auth/authenticate.ts';
import { isUuid } from '../catalog/engines.ts';
import { GatewayError } from '../errors.ts';
import { openNativeBackup } from '../storage/native-sink.ts';
import { Readable } from 'node:stream';

const ROUTE = /^\/backups\/([^/]+)\/artifacts\/(.+)$/;

export function isArtifactRequest(pathname: string): boolean {
  return ROUTE.test(pathname);
}

export async function artifactResponse(gateway: Gateway, request: Request, pathname: string): Promise<Response> {
  try {
    if (request.method !== 'GET') throw new GatewayError('invalid_input', 'only GET is allowed here');
    const auth = await gateway.apiKeys.authenticate(request.headers.get('authorization'));
    if (!auth.ok) throw auth.error;
    if (!hasScope(auth.principal, 'OPERATOR')) throw new GatewayError('insufficient_scope', 'Downloading backup files needs the OPERATOR scope');
    const [, id = '', encodedPath = ''] = ROUTE.exec(pathname) ?? [];
    let path: string;
    try {
      path = decodeURIComponent(encodedPath);
    } catch {
      throw new GatewayError('invalid_input', 'the artifact path is not valid percent-encoding');
    }
    const backup = isUuid(id) ? await gateway.prisma.backup.findUnique({ where: { id } }) : null;
    if (!backup || backup.status === 'DELETED') throw new GatewayError('backup_not_found', `No backup with id "${id.slice(0, 64)}"`);
    if (backup.strategy !== 'NATIVE') throw new GatewayError('invalid_input', 'only native backups have downloadable files; restore a logical backup with startRestore');
    if (backup.externalLocation) throw new GatewayError('storage_credentials_required', 'this backup lives in an external location; read it there');
    const artifact = await gateway.prisma.artifact.findUnique({ where: { backupId_path: { backupId: backup.id, path } } });
    if (!artifact || artifact.external || !path.startsWith('native/'))
      throw new GatewayError('file_not_found', `backup "${backup.name}" stores no file "${path.slice(0, 200)}" in gateway storage`);
    const handle = await openNativeBackup({ storage: await gateway.storages.forBackup(backup), backupId: backup.id });
    const stream = await handle.openFile(path);
    await gateway.audit.record(auth.principal.actor, 'backup.download', 'backup', backup.id, { path });
    return new Response(Readable.toWeb(stream as Readable) as ReadableStream, {
      status: 200,
      headers: {
        'content-type': 'application/octet-stream',
        'content-disposition': `attachment; filename="${path
          .split('/')
          .pop()!
          .replace(/[^A-Za-z0-9._-]/g, '_')}"`,
        'x-content-sha256': handle.files.find((f) => f.path === path)?.sha256 ?? '',
      },
    });
  } catch (thrown) {
    const error = thrown instanceof GatewayError ? thrown : new GatewayError('internal', 'download failed');
    return Response.json({ message: error.message, code: error.code, type: error.type }, { status: error.status });
  }
}
