import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import { resolveStorage, type Config } from '../config/index.js';
import { AppError } from '../errors.js';
import { createLogger } from '../log.js';
import { createAudit, resetMfa } from '../security/index.js';
import {
  identitiesNamed,
  listFactors,
  openDb,
  unusedRecoveryCodes,
  type Db,
  type MfaPerson,
} from '../storage/index.js';
import type { MfaCliOptions } from './program/index.js';
import { requireConfig } from './require-config.js';
import { OK, printLine, type CommandResult } from './result.js';

/**
 * `sigil mfa list|reset --user NAME`: what second factors a person has, and the reset for a
 * lost phone (every factor and recovery code removed, audited as `mfa.reset` with the
 * operating-system user as the actor). Secrets are never printed.
 */

function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

async function withDb<T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(resolveStorage(config, process.env));
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** The people sigil has seen under `name` (one per connector); an error when there is none. */
async function people(db: Db, name: string): Promise<MfaPerson[]> {
  if (name.trim() === '' || name.length > 256)
    throw new AppError('CLI_USAGE', '--user: expected a username (at most 256 characters)');
  const { rows } = await db.query<{ t: string | null }>(
    `SELECT to_regclass('mfa_factors')::text AS t`,
  );
  if (rows[0]?.t == null)
    throw new AppError(
      'CLI_USAGE',
      'the database has no second-factor tables yet: run `sigil migrate` (or start sigil) first',
    );
  const found = await identitiesNamed(db, name.trim());
  if (found.length === 0)
    throw new AppError(
      'USER_NOT_FOUND',
      `no person named ${JSON.stringify(name.trim())} has logged in to sigil`,
    );
  return found;
}

const day = (d: Date | undefined): string => (d === undefined ? '-' : d.toISOString());

/** `sigil mfa list`: one line per factor (kind, name, created, last used), then recovery codes left. */
export async function mfaList(o: MfaCliOptions): Promise<CommandResult> {
  const { config } = requireConfig('mfa list', o.config);
  await withDb(config, async (db) => {
    for (const who of await people(db, o.user)) {
      const factors = await listFactors(db, who);
      const left = await unusedRecoveryCodes(db, who);
      if (o.json === true) {
        for (const f of factors)
          printLine(
            JSON.stringify({
              user: o.user,
              sub: who.sub,
              connector: who.connectorId,
              id: f.id,
              kind: f.kind,
              name: f.name,
              createdAt: f.createdAt.toISOString(),
              lastUsedAt: f.lastUsedAt?.toISOString() ?? null,
            }),
          );
        continue;
      }
      printLine(`${o.user} (connector ${who.connectorId}, sub ${who.sub}):`);
      if (factors.length === 0) printLine('  no second factor');
      for (const f of factors)
        printLine(
          `  ${f.id}  ${f.kind.padEnd(8)}  ${f.name}  created ${day(f.createdAt)}  last used ${day(f.lastUsedAt)}`,
        );
      printLine(`  recovery codes left: ${left}`);
    }
  });
  return OK;
}

/** Asks on the terminal (or reads the first line piped in); true for "yes". */
async function confirm(question: string): Promise<boolean> {
  process.stderr.write(question);
  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    rl.close();
    return line.trim().toLowerCase() === 'yes';
  }
  return false;
}

/** `sigil mfa reset`: removes every factor and recovery code of the person, after confirmation. */
export async function mfaReset(o: MfaCliOptions): Promise<CommandResult> {
  const { config } = requireConfig('mfa reset', o.config);
  return withDb(config, async (db) => {
    const found = await people(db, o.user);
    if (o.yes !== true) {
      const ok = await confirm(
        `Remove every second factor and recovery code of ${o.user}? They will sign in with their password alone, or enroll again where a second factor is required. Type yes: `,
      );
      if (!ok) return { exitCode: 1, notes: ['not confirmed: nothing was changed'] };
    }
    const audit = createAudit(db, createLogger({ level: 'silent', format: 'json' }));
    const actor = { kind: 'operator', id: operator() } as const;
    for (const who of found) {
      const r = await resetMfa({ db, audit }, { ...who, username: o.user }, actor);
      printLine(
        `${o.user} (connector ${who.connectorId}): removed ${r.factors} factor(s) and ${r.recoveryCodes} recovery code(s)`,
      );
    }
    // The audit rows are written in batches: write them before the database closes.
    await audit.close();
    return OK;
  });
}
