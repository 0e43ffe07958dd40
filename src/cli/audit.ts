import { userInfo } from 'node:os';
import { resolveStorage, type Config } from '../config/index.js';
import { parseDuration } from '../lib/index.js';
import { AppError } from '../errors.js';
import { requireConfig } from './require-config.js';
import type { AuditCliOptions } from './program/index.js';
import { OK, printLine, type CommandResult } from './result.js';
import type { Logger } from '../log.js';
import { createAudit, type AuditEvent } from '../security/index.js';
import { openDb, queryAuditEvents, type AuditRecord, type Db } from '../storage/index.js';

/**
 * `sigil audit`: the audit trail, one line per event (time, event, outcome, user, client, IP,
 * reason, then what the event adds: grant, groups, kid, token ids), or JSON lines with
 * `--json`. Also the helper that records admin actions taken from the CLI.
 */

/** `24h`, `90m` (back from now), or an ISO 8601 / RFC 3339 time. */
export function parseWhen(text: string, now: Date, flag: string): Date {
  const back = parseDuration(text);
  if (back !== undefined) return new Date(now.getTime() - back);
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw new AppError(
      'CLI_USAGE',
      `${flag}: expected a duration (24h, 30m) or a time (2026-11-28T10:00:00Z), got ${JSON.stringify(text)}`,
    );
  return new Date(t);
}

function parseLimit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
    throw new AppError('CLI_USAGE', `--limit: expected a whole number from 1 to 1000000`);
  return n;
}

const EXTRA_KEYS = [
  'grantType',
  'channel',
  'groups',
  'audience',
  'kid',
  'idTokenJti',
  'accessTokenId',
  'refreshTokenId',
  'retryAfterSec',
  'failures',
  'lockedForSec',
  'description',
] as const;

function show(value: unknown): string {
  if (Array.isArray(value)) return value.map(show).join(',');
  if (typeof value === 'string') return /[\s"]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** One human line per event; columns stay in a fixed order, `-` for missing. */
export function formatAuditLine(r: AuditRecord): string {
  const cols = [
    r.at.toISOString(),
    r.event,
    r.outcome,
    `user=${show(r.username ?? '-')}`,
    `client=${show(r.clientId ?? '-')}`,
    `ip=${r.ip ?? '-'}`,
    `reason=${show(r.reason ?? '-')}`,
  ];
  for (const k of EXTRA_KEYS) {
    const v = r.details[k];
    if (v !== undefined && v !== null) cols.push(`${k}=${show(v)}`);
  }
  return cols.join('  ');
}

/** The optional fields of a record and their JSON names; an absent one is null. */
const OPTIONAL_JSON_FIELDS = [
  ['username', 'username'],
  ['sub', 'sub'],
  ['clientId', 'client_id'],
  ['ip', 'ip'],
  ['reason', 'reason'],
] as const;

export function auditRecordJson(r: AuditRecord): string {
  const optional = Object.fromEntries(
    OPTIONAL_JSON_FIELDS.map(([field, name]) => [name, r[field] ?? null]),
  );
  const { id, event, outcome, details } = r;
  return JSON.stringify({ id, at: r.at.toISOString(), event, outcome, ...optional, details });
}

async function assertSchema(db: Db): Promise<void> {
  const { rows } = await db.query<{ t: string | null }>(
    `SELECT to_regclass('audit_events')::text AS t`,
  );
  if (rows[0]?.t == null)
    throw new AppError(
      'CLI_USAGE',
      'the database has no audit trail yet: run `sigil migrate` (or start sigil) first',
    );
}

export async function runAudit(
  config: Config,
  o: AuditCliOptions,
  write: (line: string) => void,
  now: Date = new Date(),
): Promise<number> {
  const query = {
    username: o.user,
    clientId: o.client,
    event: o.event,
    outcome: o.outcome,
    since: o.since === undefined ? undefined : parseWhen(o.since, now, '--since'),
    until: o.until === undefined ? undefined : parseWhen(o.until, now, '--until'),
    limit: parseLimit(o.limit),
  };
  const db = await openDb(resolveStorage(config, process.env));
  try {
    await assertSchema(db);
    const records = await queryAuditEvents(db, query);
    for (const r of records) write(o.json === true ? auditRecordJson(r) : formatAuditLine(r));
    return records.length;
  } finally {
    await db.close();
  }
}

/**
 * Records admin actions taken from the CLI (`sigil keys rotate`, ...): one `admin.<action>`
 * event naming the operating-system user, plus the events the action caused.
 */
export async function recordAdminAction(
  config: Config,
  log: Logger,
  action: string,
  caused: readonly AuditEvent[],
  details: Record<string, unknown> = {},
): Promise<void> {
  const db = await openDb(resolveStorage(config, process.env));
  try {
    const audit = createAudit(db, log);
    let actor = 'unknown';
    try {
      actor = userInfo().username;
    } catch {
      // no passwd entry (containers): keep "unknown"
    }
    await audit.record({
      event: `admin.${action}`,
      outcome: 'success',
      username: actor,
      reason: 'cli',
      details: { ...details, actor, pid: process.pid },
    });
    for (const e of caused) await audit.record({ ...e, details: { ...e.details, actor } });
    await audit.close();
  } finally {
    await db.close();
  }
}

/** `sigil audit`: the matching events, oldest first, one line (or JSON object) each. */
export async function audit(o: AuditCliOptions): Promise<CommandResult> {
  const { config } = requireConfig('audit', o.config);
  await runAudit(config, o, printLine);
  return OK;
}
