import { createHash } from 'node:crypto';
import { LOCAL_CONNECTOR_ID, normalizeHash, type Config } from '../config/index.js';
import { insertForeignKey, keyPolicyFromConfig, type KeySealer } from '../keys/index.js';
import {
  clientSecretContext,
  findDexClient,
  LOCKS,
  saveDexClient,
  saveDexPassword,
  saveDexRefreshToken,
  setDexClientSecret,
  type Db,
  type DexRefreshRow,
  type ImportOutcome,
  type Queryable,
} from '../storage/index.js';
import { AppError } from '../errors.js';
import { prepareKeys } from './keys.js';
import type { DexClient, DexData, DexPassword, DexRefresh } from './read.js';

/**
 * `sigil import dex`: what a read Dex database becomes in sigil's, in one transaction (under
 * the keys lock, so no rotation runs meanwhile). Decided in plain data first (what to import,
 * what to skip and why), then written; a second run with the same Dex data changes nothing.
 */
export interface Skip {
  readonly what: string;
  readonly why: string;
}

export interface ImportReport {
  readonly source: { readonly kind: string; readonly version: number };
  /** Per kind (keys, clients, passwords, refresh tokens): how many rows were new, updated, unchanged. */
  readonly counts: Readonly<Record<string, Readonly<Record<ImportOutcome, number>>>>;
  readonly skipped: readonly Skip[];
  readonly notes: readonly string[];
  /** How many offline sessions Dex had (their connector data joined their refresh tokens). */
  readonly offlineSessions: number;
  /** Whether anything in sigil's database changed (with `dryRun`: would have changed). */
  readonly changed: boolean;
  /** Everything was done, then rolled back: nothing was written. */
  readonly dryRun: boolean;
}

export interface ImportDeps {
  readonly db: Db;
  readonly config: Config;
  readonly sealer: KeySealer;
  readonly now?: Date;
  /** Do everything in the transaction, then roll it back. */
  readonly dryRun?: boolean;
}

/** Rolls a dry run's transaction back once it has done everything. */
class DryRunDone extends Error {}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('base64url');

function planClients(config: Config, clients: readonly DexClient[], skipped: Skip[]): DexClient[] {
  const configured = new Set(config.staticClients.map((c) => c.id));
  return clients.filter((c) => {
    if (configured.has(c.id)) {
      skipped.push({
        what: `client ${c.id}`,
        why: 'staticClients has a client of this id: the config file defines it',
      });
      return false;
    }
    return true;
  });
}

function planPasswords(
  config: Config,
  passwords: readonly DexPassword[],
  skipped: Skip[],
): DexPassword[] {
  const emails = new Set(config.staticPasswords.map((p) => p.email.toLowerCase()));
  const ids = new Set(config.staticPasswords.map((p) => p.userID));
  return passwords.filter((p) => {
    const hash = normalizeHash(p.hash);
    if (hash === undefined || !hash.startsWith('$2'))
      throw new AppError(
        'DEX_IMPORT_REFUSED',
        `password row ${JSON.stringify(p.email)}: hash is not a bcrypt hash`,
      );
    if (emails.has(p.email.toLowerCase()) || ids.has(p.userId)) {
      skipped.push({
        what: `password user ${p.email}`,
        why: 'staticPasswords has a user with this email or userID: the config file defines it',
      });
      return false;
    }
    return true;
  });
}

/** Dex's connector data as sigil's connector keeps it (LDAP: the entry's DN). */
function connectorDataOf(raw: Buffer | null): Record<string, unknown> | null {
  if (raw === null || raw.length === 0) return null;
  try {
    const v = JSON.parse(raw.toString('utf8')) as { entry?: { DN?: unknown } } | null;
    const dn = v?.entry?.DN;
    return typeof dn === 'string' && dn !== '' ? { dn } : null;
  } catch {
    return null;
  }
}

function refreshExpired(config: Config, t: DexRefresh, now: Date): string | undefined {
  const r = config.expiry.refreshTokens;
  if (t.createdAt.getTime() + r.absoluteLifetime <= now.getTime())
    return 'older than expiry.refreshTokens.absoluteLifetime';
  if (t.lastUsed.getTime() + r.validIfNotUsedFor <= now.getTime())
    return 'unused for longer than expiry.refreshTokens.validIfNotUsedFor';
  return undefined;
}

function planRefreshTokens(
  config: Config,
  data: DexData,
  clientIds: ReadonlySet<string>,
  now: Date,
  skipped: Skip[],
): DexRefreshRow[] {
  const connectors = new Set([
    ...config.connectors.map((c) => c.id),
    ...(config.enablePasswordDB ? [LOCAL_CONNECTOR_ID] : []),
  ]);
  const sessionData = new Map(
    data.offlineSessions.map((s) => [`${s.userId}\u0000${s.connectorId}`, s.connectorData]),
  );
  const out: DexRefreshRow[] = [];
  for (const t of data.refreshTokens) {
    const skip = (why: string) => skipped.push({ what: `refresh token ${t.id}`, why });
    const expired = refreshExpired(config, t, now);
    if (t.token === '') skip('issued by a Dex older than v2.10 (no token secret)');
    else if (!clientIds.has(t.clientId))
      skip(`its client ${t.clientId} is neither in staticClients nor in Dex's database`);
    else if (!connectors.has(t.connectorId))
      skip(`its connector ${t.connectorId} is not configured in sigil: add it and import again`);
    else if (expired !== undefined) skip(`expired: ${expired}`);
    else
      out.push({
        id: t.id,
        tokenHash: sha256(t.token),
        clientId: t.clientId,
        userId: t.userId,
        connectorId: t.connectorId,
        scopes: t.scopes,
        nonce: t.nonce,
        claims: {
          username: t.username,
          preferredUsername: t.preferredUsername,
          email: t.email,
          emailVerified: t.emailVerified,
          groups: t.groups,
        },
        // Dex refreshes with the offline session's connector data when the token has none.
        connectorData: connectorDataOf(
          t.connectorData ?? sessionData.get(`${t.userId}\u0000${t.connectorId}`) ?? null,
        ),
        createdAt: t.createdAt,
        lastUsed: t.lastUsed,
      });
  }
  return out;
}

type Counts = Record<ImportOutcome, number>;
const zero = (): Counts => ({ imported: 0, updated: 0, unchanged: 0 });

async function writeClient(tx: Queryable, sealer: KeySealer, c: DexClient): Promise<ImportOutcome> {
  const context = clientSecretContext(c.id);
  const before = await findDexClient(tx, c.id);
  const outcome = await saveDexClient(tx, {
    ...c,
    secret: sealer.seal(c.secret, context),
    encrypted: sealer.enabled,
  });
  if (before === undefined || outcome !== 'unchanged') return outcome;
  // The sealed secret differs at every seal: compare what it opens to.
  let same = false;
  try {
    same = (before.encrypted ? sealer.open(before.secret, context) : before.secret) === c.secret;
  } catch {
    same = false;
  }
  if (same && before.encrypted === sealer.enabled) return 'unchanged';
  await setDexClientSecret(tx, c.id, sealer.seal(c.secret, context), sealer.enabled);
  return 'updated';
}

export async function importDex(deps: ImportDeps, data: DexData): Promise<ImportReport> {
  const { config, sealer } = deps;
  const now = deps.now ?? new Date();
  const skipped: Skip[] = [];
  const prepared = await prepareKeys(data.keys, now, keyPolicyFromConfig(config).retainMs);
  skipped.push(...prepared.skipped);
  const clients = planClients(config, data.clients, skipped);
  const passwords = planPasswords(config, data.passwords, skipped);
  const clientIds = new Set([
    ...config.staticClients.map((c) => c.id),
    ...clients.map((c) => c.id),
  ]);
  const refresh = planRefreshTokens(config, data, clientIds, now, skipped);
  const counts = { keys: zero(), clients: zero(), passwords: zero(), refreshTokens: zero() };

  const dryRun = deps.dryRun === true;
  const run = deps.db.withAdvisoryLock(LOCKS.keys, () =>
    deps.db.transaction(async (tx) => {
      for (const k of prepared.keys) {
        const o = await insertForeignKey(tx, sealer, k, 'dex');
        counts.keys[o === 'imported' ? 'imported' : 'unchanged']++;
      }
      for (const c of clients) counts.clients[await writeClient(tx, sealer, c)]++;
      for (const p of passwords)
        counts.passwords[
          await saveDexPassword(tx, {
            ...p,
            hash: normalizeHash(p.hash) ?? p.hash,
            preferredUsername: p.preferredUsername === '' ? p.username : p.preferredUsername,
            name: p.name === '' ? p.username : p.name,
          })
        ]++;
      for (const r of refresh) counts.refreshTokens[await saveDexRefreshToken(tx, r)]++;
      if (dryRun) throw new DryRunDone();
      return true;
    }),
  );
  const done = await run.catch((err: unknown) => {
    if (err instanceof DryRunDone) return true;
    throw err;
  });
  if (done !== true) throw new AppError('KEYS_UNAVAILABLE', 'the keys lock was not taken');
  const changed = Object.values(counts).some((c) => c.imported + c.updated > 0);
  return {
    source: { kind: data.kind, version: data.version },
    counts,
    skipped,
    notes: notesFor(config, data, clients),
    offlineSessions: data.offlineSessions.length,
    changed,
    dryRun,
  };
}

function notesFor(config: Config, data: DexData, clients: readonly DexClient[]): string[] {
  const notes: string[] = [];
  if (data.passwords.length > 0 && !config.enablePasswordDB)
    notes.push(
      'enablePasswordDB is off in the config: the imported password users cannot log in until it is set',
    );
  const peers = clients.filter((c) => c.trustedPeers.length > 0).map((c) => c.id);
  if (peers.length > 0)
    notes.push(
      `trustedPeers of imported clients are not honoured (${peers.join(', ')}): define those clients in staticClients to keep cross-client audiences`,
    );
  return notes;
}
