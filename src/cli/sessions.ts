import { userInfo } from 'node:os';
import { resolveStorage, type Config } from '../config/index.js';
import { AppError } from '../errors.js';
import { createLogger } from '../log.js';
import {
  createAudit,
  createRevocations,
  denyEndedSessions,
  revocationPolicy,
  SessionService,
  sessionJson,
  type EndResult,
  type SessionActor,
} from '../security/index.js';
import { openDb, type Db, type LoginSession } from '../storage/index.js';
import type { SessionsListOptions, SessionsRevokeOptions } from './program/index.js';
import { requireConfig } from './require-config.js';
import { OK, printLine, type CommandResult } from './result.js';

/**
 * `sigil sessions list|revoke`: the same SessionService (and so the same endSessions) as the
 * server, on the database every replica shares: an ended session's next refresh fails on
 * every replica, without a restart.
 */

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;
const REASON = /^[a-z0-9_.-]{1,64}$/;

function operator(): SessionActor {
  try {
    return { kind: 'operator', id: userInfo().username };
  } catch {
    return { kind: 'operator', id: 'unknown' };
  }
}

function parseLimit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100_000)
    throw new AppError('CLI_USAGE', '--limit: expected a whole number from 1 to 100000');
  return n;
}

async function withSessions<T>(
  config: Config,
  run: (s: SessionService, db: Db) => Promise<T>,
): Promise<T> {
  const db = await openDb(resolveStorage(config, process.env));
  try {
    const { rows } = await db.query<{ t: string | null }>(
      `SELECT to_regclass('login_sessions')::text AS t`,
    );
    if (rows[0]?.t == null)
      throw new AppError(
        'CLI_USAGE',
        'the database has no sessions table yet: run `sigil migrate` (or start sigil) first',
      );
    const audit = createAudit(db, createLogger({ level: 'silent', format: 'json' }));
    // The same deny entries as the server's endSessions: the clusters refuse the ended logins.
    const revocations = createRevocations({ policy: revocationPolicy(config), audit });
    const afterEnd = denyEndedSessions(revocations, db);
    try {
      return await run(new SessionService({ db, audit, afterEnd }), db);
    } finally {
      // The audit rows are written in batches: write them before the database closes.
      await audit.close();
    }
  } finally {
    await db.close();
  }
}

const short = (d: Date): string => d.toISOString().slice(0, 19).replace('T', ' ');

/** One line per session, columns in a fixed order. */
export function formatSessionLine(s: LoginSession): string {
  return [
    s.id,
    `user=${s.username}`,
    `client=${s.clientId}`,
    `device=${JSON.stringify(s.device)}`,
    `created=${short(s.createdAt)}`,
    `lastUsed=${short(s.lastUsedAt)}`,
    `ip=${s.ipLast ?? s.ipFirst ?? '-'}`,
    ...(s.endedAt === undefined
      ? []
      : [`ended=${short(s.endedAt)}`, `reason=${s.endReason ?? '-'}`]),
  ].join('  ');
}

export async function sessionsList(o: SessionsListOptions): Promise<CommandResult> {
  const { config } = requireConfig('sessions list', o.config);
  const limit = parseLimit(o.limit);
  const list = await withSessions(config, (s) =>
    s.list({ username: o.user, clientId: o.client, activeOnly: o.all !== true, limit }),
  );
  if (o.json === true)
    return { exitCode: 0, stdout: `${JSON.stringify(list.map((s) => sessionJson(s)))}\n` };
  if (list.length === 0) return { exitCode: 0, stdout: 'no sessions\n' };
  return { exitCode: 0, stdout: `${list.map(formatSessionLine).join('\n')}\n` };
}

function printEnded(r: EndResult, who: string): void {
  for (const s of r.ended) printLine(`ended ${formatSessionLine(s)}`);
  printLine(
    `${who}: ended ${String(r.ended.length)} session(s), ${String(r.browserSessions)} browser session(s), ${String(r.deviceCodes)} device code(s); effective on every replica now`,
  );
}

export async function sessionsRevoke(
  id: string | undefined,
  o: SessionsRevokeOptions,
): Promise<CommandResult> {
  const { config } = requireConfig('sessions revoke', o.config);
  if ((id === undefined) === (o.user === undefined))
    throw new AppError('CLI_USAGE', 'name one session id, or a person with --user (not both)');
  if (id !== undefined && o.client !== undefined)
    throw new AppError('CLI_USAGE', '--client goes with --user');
  const reason = o.reason ?? 'operator';
  if (!REASON.test(reason))
    throw new AppError('CLI_USAGE', '--reason: a short slug (a-z, 0-9, _ . -)');
  const how = { actor: operator(), reason };
  if (id !== undefined) {
    if (!SESSION_ID.test(id))
      throw new AppError('CLI_USAGE', `not a session id: ${JSON.stringify(id.slice(0, 40))}`);
    const r = await withSessions(config, (s) => s.endSessions({ kind: 'one', id }, how));
    if (r.ended.length === 0)
      throw new AppError(
        'NOT_FOUND',
        `no active session ${id} (unknown, expired or already ended)`,
      );
    printEnded(r, `session ${id}`);
    return OK;
  }
  const user = o.user ?? '';
  const r = await withSessions(config, (s) =>
    s.endSessions({ kind: 'user', username: user, clientId: o.client }, how),
  );
  if (r.subs.length === 0)
    throw new AppError(
      'NOT_FOUND',
      `sigil has never seen a user ${JSON.stringify(user.slice(0, 100))}`,
    );
  printEnded(r, `user ${user}`);
  return OK;
}
