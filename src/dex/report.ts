import { stringify } from 'yaml';
import type { Config } from '../config/index.js';
import type { ImportReport } from './import.js';
import type { DexConnector } from './read.js';

/** Keys of a connector's config that hold secrets: printed as an environment reference instead. */
const SECRET_KEYS = new Set(['bindPW', 'clientSecret', 'password', 'secret']);

function withoutSecrets(value: unknown, id: string): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutSecrets(v, id));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k,
      SECRET_KEYS.has(k) && typeof v === 'string' && v !== ''
        ? `\${${`${id}_${k}`.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}}`
        : withoutSecrets(v, id),
    ]),
  );
}

/**
 * The connectors Dex kept in its database (created through its API) that the config does not
 * have, as a `connectors:` block to paste. Secrets become `${VAR}` references: they are not
 * printed.
 */
export function connectorsToPaste(config: Config, connectors: readonly DexConnector[]): string {
  const configured = new Set(config.connectors.map((c) => c.id));
  const missing = connectors.filter((c) => !configured.has(c.id));
  if (missing.length === 0) return '';
  const block = stringify({
    connectors: missing.map((c) => ({
      type: c.type,
      id: c.id,
      name: c.name,
      config: withoutSecrets(c.config, c.id),
    })),
  });
  const other = missing.filter((c) => c.type !== 'ldap').map((c) => `${c.id} (${c.type})`);
  return [
    `connectors stored in Dex's database (not imported: paste them into the config's connectors:, setting the \${...} variables):`,
    ...(other.length > 0
      ? [
          `# sigil supports ldap (and static passwords): ${other.join(', ')} cannot be used as they are`,
        ]
      : []),
    block.trimEnd(),
  ].join('\n');
}

/** What `sigil import dex` prints: per kind what was imported, then every skip and why. */
export function formatReport(report: ImportReport, connectors: string): string {
  const lines = [
    `read a Dex database (${report.source.kind}, schema version ${String(report.source.version)})`,
  ];
  const names: Record<string, string> = {
    keys: 'keys',
    clients: 'clients',
    passwords: 'password users',
    refreshTokens: 'refresh tokens',
  };
  for (const [kind, c] of Object.entries(report.counts))
    lines.push(
      `  ${names[kind] ?? kind}: ${String(c.imported)} imported, ${String(c.updated)} updated, ${String(c.unchanged)} already there`,
    );
  lines.push(
    `  offline sessions: ${String(report.offlineSessions)} (their connector data joined their refresh tokens)`,
  );
  lines.push(
    report.dryRun
      ? 'dry run: nothing was written (this is what the import would do)'
      : report.changed
        ? 'imported in one transaction'
        : 'nothing changed: everything was imported before',
  );
  if (report.skipped.length > 0) {
    lines.push(`skipped (${String(report.skipped.length)}):`);
    for (const s of report.skipped) lines.push(`  ${s.what}: ${s.why}`);
  }
  for (const n of report.notes) lines.push(`note: ${n}`);
  if (connectors !== '') lines.push(connectors);
  return `${lines.join('\n')}\n`;
}
