// Which Host and Origin headers the HTTP server accepts. A web page the operator visits must not be able to drive
// the gateway: in open mode (no master key) only loopback Host names are served, so a DNS-rebinding page whose
// name points at 127.0.0.1 is refused; WebSocket upgrades from a foreign Origin are refused in every mode.
import { isIP } from 'node:net';

export interface HttpGuardSettings {
  /** No master key: every caller is ADMIN. */
  open: boolean;
  /** Host names (no port) accepted besides loopback ones. */
  allowedHosts: readonly string[];
  /** Browser origins allowed besides the gateway's own. */
  corsOrigins: readonly string[];
}

/** Probes carry no data worth stealing and may come with a pod IP as Host: never refused for their Host. */
const PROBE_PATHS = new Set(['/health', '/livez', '/readyz']);

/** `localhost`, `*.localhost`, 127.0.0.0/8 and ::1 (bracketed or not). */
export function isLoopbackName(hostname: string): boolean {
  const name = hostname
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || name === '0:0:0:0:0:0:0:1' || name.startsWith('::ffff:127.');
  return false;
}

/** The name part of a Host header: `[::1]:4000` → `[::1]`, `Example.com:80` → `example.com`. */
export function hostnameOf(host: string): string {
  const lower = host.trim().toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  return lower.replace(/:\d*$/, '');
}

export function hostAllowed(host: string | undefined, settings: HttpGuardSettings): boolean {
  if (!host) return !settings.open;
  const name = hostnameOf(host);
  if (isLoopbackName(name) || settings.allowedHosts.includes(name.replace(/^\[(.*)\]$/, '$1')) || settings.allowedHosts.includes(name)) return true;
  // With a master key every request needs a key anyway; GATEWAY_ALLOWED_HOSTS narrows it further when set.
  return !settings.open && settings.allowedHosts.length === 0;
}

/** No Origin (a CLI, a server) is not a browser page; a page may come from the gateway itself or a listed origin. */
export function originAllowed(origin: string | undefined, host: string | undefined, settings: HttpGuardSettings): boolean {
  if (origin === undefined) return true;
  if (settings.corsOrigins.includes(origin)) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && host !== undefined && url.host === host.trim().toLowerCase();
  } catch {
    return false;
  }
}

export function isProbePath(rawUrl: string | undefined): boolean {
  const path = (rawUrl ?? '/').split('?')[0]!;
  return PROBE_PATHS.has(path);
}
