// Restore and backup orchestration is written once, in the kit (src/engines/restore-kit.ts, transfer-kit.ts)
// and the core: no plugin builds staging names, sums progress totals, selects collections by name, looks up
// archive entries or reports progress percentages itself. Each rule is a pattern of the hand-written version.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

interface Rule {
  what: string;
  pattern: RegExp;
  use: string;
  /** A line of the hand-written version the rule must catch (keeps the pattern honest). */
  example: string;
}

const RULES: Rule[] = [
  {
    what: 'builds staging or live-copy names',
    pattern: /__gw(?:stage|live)_|jobId \?\? randomUUID/,
    use: 'stagingOf, livePhysicalName, restoreJobId',
    example: 'const fillName = `${target}__gwlive_${jobId}`;',
  },
  {
    what: 'sums totals by hand',
    pattern: /\.reduce\(\s*\(\s*\w+\s*,[^)]*\)\s*=>\s*\w+\s*\+/,
    use: 'totalOf, plannedTotal',
    example: 'const total = items.reduce((sum, item) => sum + item.expected, 0);',
  },
  {
    what: 'selects collections by name itself',
    pattern: /'collection_not_found',\s*`[^`]*not found:/,
    use: 'selectNamed, failIfMissing',
    example: "throw new GatewayError('collection_not_found', `Typesense collection(s) not found: ${missing.join(', ')}`);",
  },
  {
    what: 'looks up archive entries itself',
    pattern: /manifest\.collections\.find\(/,
    use: 'archivedItems',
    example: 'const entry = archive.manifest.collections.find((collection) => collection.name === source);',
  },
  {
    what: 'computes document progress itself',
    pattern: /ctx\.progress\(\{\s*phase:\s*'(?:documents|items)',\s*completed/,
    use: 'transferProgress, restoreProgress',
    example: "ctx.progress({ phase: 'documents', completed, total: Math.max(total, completed), unit: 'documents' });",
  },
  {
    what: 'reports percentages itself',
    pattern: /total:\s*100,\s*unit:\s*'percent'/,
    use: 'percentProgress',
    example: "ctx.progress({ phase, completed, total: 100, unit: 'percent', message });",
  },
  { what: 'rolls back on its own fresh signal', pattern: /catch\s*\(\s*cleanupError/, use: 'withRollback, dropEach', example: '} catch (cleanupError) {' },
  {
    what: 'defines a cancel, wait, health or config helper the kit has',
    pattern: /\bfunction (?:canceledError|throwIfCanceled|sleepOrCancel|pause|engineStatus|isRecord|probeHealth|selectNamed)\b|strictObject\(configShape/,
    use: 'canceledError, throwIfCanceled, sleepOrCancel, pause, engineStatus, isRecord, probeHealth, strictConfig',
    example: 'export async function sleepOrCancel(ms: number, signal: AbortSignal): Promise<void> {',
  },
];

function pluginSources(): string[] {
  return readdirSync(path.join(REPO_ROOT, 'plugins'), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => path.relative(REPO_ROOT, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .filter((file) => !file.includes('/test/') && !file.includes('node_modules'));
}

describe('restore orchestration lives in the kit', () => {
  it.each(RULES)('every rule catches the hand-written version: $what', (rule) => {
    expect(rule.pattern.test(rule.example)).toBe(true);
  });

  it('no plugin writes restore or backup orchestration the kit has', () => {
    const files = pluginSources();
    expect(files.length).toBeGreaterThan(20);
    const violations = files.flatMap((file) => {
      const lines = readFileSync(path.join(REPO_ROOT, file), 'utf8').split('\n');
      return lines.flatMap((line, index) => {
        if (/^\s*(?:\/\/|\*|\/\*\*)/.test(line)) return [];
        return RULES.filter((rule) => rule.pattern.test(line)).map((rule) => `${file}:${index + 1} ${rule.what}: use ${rule.use} (src/plugin.ts)`);
      });
    });
    expect(violations, violations.join('\n')).toEqual([]);
  });
});
