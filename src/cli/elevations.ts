import { userInfo } from 'node:os';
import { resolveStorage, type Config } from '../config/index.js';
import { AppError } from '../errors.js';
import { createLogger } from '../log.js';
import {
  createAudit,
  createRevocations,
  revocationPolicy,
  type Elevation,
  type ElevationPerson,
  type Elevations,
} from '../security/index.js';
import { elevationService } from '../server/index.js';
import { openDb } from '../storage/index.js';
import type { ElevationsEndOptions, ElevationsListOptions } from './program/index.js';
import { requireConfig } from './require-config.js';
import { type CommandResult } from './result.js';

/**
 * `sigil elevations list|end`: the server's Elevations service on the shared database. An end
 * here is an end on every replica (the next refresh lacks the group), with the same deny
 * entries and audit lines as the page and the API.
 */

function operator(): ElevationPerson {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // No user name (a container without /etc/passwd entry): still an operator.
  }
  return { sub: name, username: name, groups: [], kind: 'operator' };
}

function parseLimit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100_000)
    throw new AppError('CLI_USAGE', '--limit: expected a whole number from 1 to 100000');
  return n;
}

async function withElevations<T>(config: Config, run: (e: Elevations) => Promise<T>): Promise<T> {
  const db = await openDb(resolveStorage(config, process.env));
  try {
    const { rows } = await db.query<{ t: string | null }>(
      `SELECT to_regclass('login_elevations')::text AS t`,
    );
    if (rows[0]?.t == null)
      throw new AppError(
        'CLI_USAGE',
        'the database has no elevations table yet: run `sigil migrate` (or start sigil) first',
      );
    const log = createLogger({ level: 'silent', format: 'json' });
    const audit = createAudit(db, log);
    try {
      const revocations = createRevocations({ policy: revocationPolicy(config), audit, log });
      return await run(elevationService(config, db, log, { audit, revocations }));
    } finally {
      // The audit rows are written in batches: write them before the database closes.
      await audit.close();
    }
  } finally {
    await db.close();
  }
}

const short = (d: Date | undefined): string =>
  d === undefined ? '-' : d.toISOString().slice(0, 19).replace('T', ' ');

/** One line per elevation, columns in a fixed order. */
export function formatElevationLine(e: Elevation): string {
  return [
    e.id,
    e.state,
    `user=${e.username}`,
    `role=${e.role}`,
    `group=${e.group}`,
    `requested=${short(e.requestedAt)}`,
    `ends=${short(e.endsAt)}`,
    `by=${e.decidedBy?.id ?? '-'}`,
    `reason=${JSON.stringify(e.reason)}`,
  ].join('  ');
}

export async function elevationsList(o: ElevationsListOptions): Promise<CommandResult> {
  const { config } = requireConfig('elevations list', o.config);
  const limit = parseLimit(o.limit);
  const list = await withElevations(config, (e) =>
    e.list({ username: o.user, states: o.active === true ? ['active'] : undefined, limit }),
  );
  if (o.json === true) return { exitCode: 0, stdout: `${JSON.stringify(list)}\n` };
  if (list.length === 0) return { exitCode: 0, stdout: 'no elevations\n' };
  return { exitCode: 0, stdout: `${list.map(formatElevationLine).join('\n')}\n` };
}

export async function elevationsEnd(id: string, o: ElevationsEndOptions): Promise<CommandResult> {
  const { config } = requireConfig('elevations end', o.config);
  if (!/^el_[A-Za-z0-9_-]{22}$/.test(id))
    throw new AppError('CLI_USAGE', `not an elevation id: ${JSON.stringify(id.slice(0, 40))}`);
  // A refusal (not active, no such id) is an AppError: the runner prints it as one line.
  const ended = await withElevations(config, (e) => e.end(id, operator(), o.comment));
  return {
    exitCode: 0,
    stdout: `ended ${formatElevationLine(ended)}\nthe next token of ${ended.username} lacks ${ended.group}, on every replica\n`,
  };
}
