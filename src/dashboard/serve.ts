// Serves the dashboard's static files from src/dashboard/static: `/` is index.html, the rest is under
// /dashboard/. Only files that are in that folder, by exact name; no data in them (the page asks the API).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { packagePath } from '../package-files.ts';

// The package's src/dashboard/static, also when this module runs compiled from dist/.
const STATIC_DIR = packagePath('src', 'dashboard', 'static');
const PREFIX = '/dashboard/';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const HEADERS = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  // Everything is local: no CDN, no inline script; the page talks only to this gateway.
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

let files: Promise<Set<string>> | undefined;

/** The dashboard's answer to a request, or null when the request is not for the dashboard. */
export async function dashboardResponse(request: Request, url: URL, ResponseImpl: typeof Response): Promise<Response | null> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return null;
  const name = url.pathname === '/' ? 'index.html' : url.pathname.startsWith(PREFIX) ? url.pathname.slice(PREFIX.length) : null;
  if (name === null) return null;
  files ??= readdir(STATIC_DIR).then((names) => new Set(names.filter((n) => CONTENT_TYPES[path.extname(n)] !== undefined)));
  if (!(await files).has(name)) return new ResponseImpl('Not found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  const body = await readFile(path.join(STATIC_DIR, name));
  const headers = { ...HEADERS, 'content-type': CONTENT_TYPES[path.extname(name)]! };
  return new ResponseImpl(request.method === 'HEAD' ? null : body, { status: 200, headers });
}
