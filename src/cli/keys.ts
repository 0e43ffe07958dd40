import { userInfo } from 'node:os';
import { readFileSync } from 'node:fs';
import { resolveStorage } from '../config/index.js';
import type { Config } from '../config/index.js';
import { createLogger } from '../log.js';
import type { AuditEvent } from '../security/index.js';
import { recordAdminAction } from './audit.js';
import { requireConfig } from './require-config.js';
import type { KeysCommand } from './program/index.js';
import { OK, printLine, type CommandResult } from './result.js';
import { AppError, errorMessage } from '../errors.js';
import {
  createSealer,
  formatKeyTable,
  keyPolicyFromConfig,
  listKeys,
  maintainKeys,
  reencryptKeys,
  revokeKey,
  sealerFor,
  type KeyEventListener,
  type KeyPolicy,
  type KeySealer,
} from '../keys/index.js';
import { endGrantsLastRefreshedBefore, openDb, type Db } from '../storage/index.js';

export interface KeysCommandDeps {
  readonly write: (line: string) => void;
  /** Audit hook for the key events the command causes. */
  readonly onEvent?: KeyEventListener;
  /** Waits between the two revocation sweeps (tests shorten it). */
  readonly sleep?: (ms: number) => Promise<void>;
}

const seconds = (ms: number): string =>
  ms >= 7_200_000
    ? `${(ms / 3_600_000).toFixed(1)}h`
    : ms >= 120_000
      ? `${Math.round(ms / 60_000)}m`
      : `${Math.round(ms / 1000)}s`;

export async function runKeysCommand(
  config: Config,
  cmd: KeysCommand,
  deps: KeysCommandDeps,
): Promise<void> {
  const db = await openDb(resolveStorage(config, process.env));
  try {
    const { rows } = await db.query<{ t: string | null }>(
      `SELECT to_regclass('signing_keys')::text AS t`,
    );
    if (rows[0]?.t == null)
      throw new AppError(
        'CLI_USAGE',
        'the database has no sigil schema yet: run `sigil migrate` (or start sigil) first',
      );
    await run(db, config, cmd, deps);
  } finally {
    await db.close();
  }
}

type Action<A extends KeysCommand['action']> = (
  db: Db,
  ctx: { policy: KeyPolicy; sealer: KeySealer; events: { onEvent?: KeyEventListener } },
  cmd: Extract<KeysCommand, { action: A }>,
  deps: KeysCommandDeps,
) => Promise<void>;

async function run(db: Db, config: Config, cmd: KeysCommand, deps: KeysCommandDeps): Promise<void> {
  const ctx = {
    policy: keyPolicyFromConfig(config),
    sealer: sealerFor(config.keys.encryptionSecret),
    events: deps.onEvent === undefined ? {} : { onEvent: deps.onEvent },
  };
  switch (cmd.action) {
    case 'list':
      return list(db, ctx, cmd, deps);
    case 'rotate':
      return rotate(db, ctx, cmd, deps);
    case 'revoke':
      return revoke(db, ctx, cmd, deps);
    case 'reencrypt':
      return reencrypt(db, ctx, cmd, deps);
  }
}

const list: Action<'list'> = async (db, _ctx, _cmd, { write }) => {
  const keys = await listKeys(db);
  write(
    keys.length === 0
      ? 'no signing keys yet (they are created at the first start)'
      : formatKeyTable(keys),
  );
};

const rotate: Action<'rotate'> = async (db, { policy, sealer, events }, cmd, { write }) => {
  const r = await maintainKeys(db, sealer, policy, { force: cmd.now, wait: true, ...events });
  if (r.activated === undefined) {
    write(
      r.dueInMs === undefined
        ? 'nothing to rotate'
        : `nothing due: the next rotation can happen in ${seconds(r.dueInMs)} (rotation period ${seconds(policy.rotationPeriodMs)}, lead time ${seconds(policy.leadTimeMs)}); --now rotates at once`,
    );
  } else {
    write(
      `rotated: ${r.activated} signs now${r.retired === undefined ? '' : `; ${r.retired} is retired (published until its tokens expire)`}`,
    );
    if (cmd.now && r.plan.next?.published_enough === false)
      write(
        `warning: ${r.activated} was published for less than the lead time (${seconds(policy.leadTimeMs)}): a verifier that cached the JWKS before it appeared rejects its tokens until the cache expires`,
      );
  }
  for (const kid of r.created) if (kid !== r.activated) write(`created next key ${kid}`);
  for (const kid of r.removed) write(`removed expired key ${kid}`);
  write(`replicas use the new key set within ${seconds(policy.propagationMs)}`);
};

const revoke: Action<'revoke'> = async (db, { policy, sealer, events }, cmd, deps) => {
  const { write } = deps;
  const r = await revokeKey(db, sealer, policy, cmd.kid, { ...events, actor: operator() });
  if (r.previousState === 'revoked') {
    write(`${r.kid} was already revoked`);
    return;
  }
  write(
    `revoked ${r.kid} (it was ${r.previousState}): it leaves every replica's JWKS within ${seconds(policy.propagationMs)}`,
  );
  if (r.activated !== undefined) write(`${r.activated} signs now`);
  for (const kid of r.created) if (kid !== r.activated) write(`created next key ${kid}`);
  if (r.cutoff === undefined) {
    write('it never signed: no refresh token had to be revoked');
    return;
  }
  let grants = r.grantsRevoked;
  let sessions = r.sessionsEnded;
  if (cmd.wait && r.previousState === 'active') {
    // A lagging replica may have signed with it until it reloaded: sweep once more after that.
    const wait = Math.max(0, r.cutoff.getTime() - Date.now()) + 1000;
    write(`waiting ${seconds(wait)} for every replica to stop signing with it...`);
    await (deps.sleep ?? ((ms) => new Promise((res) => setTimeout(res, ms))))(wait);
    const again = await endGrantsLastRefreshedBefore(db, r.cutoff);
    grants += again.grants;
    sessions += again.sessions;
  }
  write(
    `ended ${grants} refresh-token grant(s) and ${sessions} session(s): those users log in again through their connector`,
  );
  if (r.window !== undefined)
    write(
      `the clusters refuse id_tokens issued from ${r.window.from.toISOString()} to ${r.window.until.toISOString()} once their sync agents fetch the new configuration`,
    );
};

/** The OS user running the command (the audit's operator). */
function operator(): { kind: 'operator'; id: string } {
  try {
    return { kind: 'operator', id: userInfo().username };
  } catch {
    return { kind: 'operator', id: 'unknown' }; // no passwd entry (containers)
  }
}

const reencrypt: Action<'reencrypt'> = async (db, { sealer, events }, cmd, { write }) => {
  let previous;
  if (cmd.oldSecretFile !== undefined) {
    let secret: string;
    try {
      secret = readFileSync(cmd.oldSecretFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new AppError(
        'CONFIG_NOT_FOUND',
        `cannot read ${cmd.oldSecretFile}: ${errorMessage(err)}`,
      );
    }
    previous = createSealer(secret);
  }
  const r = await reencryptKeys(db, sealer, previous, events);
  write(
    sealer.enabled
      ? `re-encrypted ${r.reencrypted.length} private key(s) under the configured secret (${r.wasPlaintext.length} were plaintext)`
      : `no keys.encryptionSecret configured: ${r.reencrypted.length} private key(s) are now stored in plaintext`,
  );
  if (r.totpSecrets > 0)
    write(`${r.totpSecrets} TOTP secret(s) of second factors sealed the same way`);
  write(
    'restart every replica with the same secret: a replica with another one cannot load new keys',
  );
};

/**
 * `sigil keys list|rotate|revoke|reencrypt`: prints as it goes; every action but `list` is
 * recorded in the audit trail as an admin action, with the key events it caused.
 */
export async function keys(
  o: { config?: string | undefined },
  cmd: KeysCommand,
): Promise<CommandResult> {
  const { config } = requireConfig(`keys ${cmd.action}`, o.config);
  const caused: AuditEvent[] = [];
  await runKeysCommand(config, cmd, {
    write: printLine,
    onEvent: (e) => {
      caused.push({ event: e.type, outcome: 'success', reason: e.reason, details: { ...e } });
    },
  });
  if (cmd.action !== 'list') {
    const quiet = createLogger({ level: 'silent', format: 'json' });
    await recordAdminAction(config, quiet, `keys.${cmd.action}`, caused, { ...cmd });
  }
  return OK;
}
