import { AppError } from '../errors.js';
import {
  listTotpSecrets,
  LOCKS,
  totpSealContext,
  updateTotpSecret,
  type Db,
  type Queryable,
} from '../storage/index.js';
import { emitAll, type KeyEvent, type KeyEventListener } from './events.js';
import { openPrivateJwk, type KeySealer } from './keystore.js';

/**
 * `sigil keys reencrypt`: seals every stored private key under the configured secret
 * (`target`), opening each with the target itself, the previous secret, or as plaintext.
 * With no secret configured (`target` is the plaintext sealer) it decrypts them. All or
 * nothing: one transaction, under the keys lock so no rotation runs meanwhile.
 */
export interface ReencryptResult {
  readonly reencrypted: readonly string[];
  /** Keys that were plaintext before. */
  readonly wasPlaintext: readonly string[];
  /** TOTP secrets of second factors sealed again (they use the same sealer). */
  readonly totpSecrets: number;
}

/** Opens `sealed` with the first candidate that can; undefined when none can. */
function openWithAny(
  candidates: readonly KeySealer[],
  open: (s: KeySealer) => string,
): string | undefined {
  for (const sealer of candidates) {
    try {
      return open(sealer);
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

/** Seals every stored TOTP secret under `target` (inside the keys' transaction: all or nothing). */
async function reencryptTotpSecrets(
  tx: Queryable,
  target: KeySealer,
  previous: KeySealer | undefined,
): Promise<number> {
  const rows = await listTotpSecrets(tx);
  for (const row of rows) {
    const context = totpSealContext(row.id);
    const candidates = row.encrypted
      ? [target, previous].filter((s): s is KeySealer => s?.enabled === true)
      : [];
    const plain = row.encrypted
      ? openWithAny(candidates, (s) => s.open(row.secret, context))
      : row.secret;
    if (plain === undefined)
      throw new AppError(
        'KEYS_UNAVAILABLE',
        `a second factor's TOTP secret (factor ${row.id}) opens with neither the configured nor the old secret: nothing was changed`,
      );
    await updateTotpSecret(tx, row.id, target.seal(plain, context), target.enabled);
  }
  return rows.length;
}

export async function reencryptKeys(
  db: Db,
  target: KeySealer,
  previous: KeySealer | undefined,
  opts: { onEvent?: KeyEventListener } = {},
): Promise<ReencryptResult> {
  const events: KeyEvent[] = [];
  const result = await db.withAdvisoryLock(LOCKS.keys, () =>
    db.transaction(async (tx) => {
      const { rows } = await tx.query<{ kid: string; private_jwk: string; encrypted: boolean }>(
        `SELECT kid, private_jwk, encrypted FROM signing_keys
          WHERE state <> 'revoked' AND NOT public_only ORDER BY created_at FOR UPDATE`,
      );
      const out = { reencrypted: [] as string[], wasPlaintext: [] as string[], totpSecrets: 0 };
      for (const row of rows) {
        const candidates = row.encrypted
          ? [target, previous].filter((s): s is KeySealer => s?.enabled === true)
          : [target];
        let jwk: unknown;
        for (const sealer of candidates) {
          try {
            jwk = openPrivateJwk(row, sealer);
            break;
          } catch {
            // try the next candidate
          }
        }
        if (jwk === undefined) {
          throw new AppError(
            'KEYS_UNAVAILABLE',
            `signing key ${row.kid} opens with neither the configured nor the old secret: nothing was changed`,
          );
        }
        const plaintext = JSON.stringify(jwk);
        await tx.query('UPDATE signing_keys SET private_jwk = $2, encrypted = $3 WHERE kid = $1', [
          row.kid,
          target.seal(plaintext, row.kid),
          target.enabled,
        ]);
        out.reencrypted.push(row.kid);
        if (!row.encrypted) out.wasPlaintext.push(row.kid);
        events.push({ type: 'key.reencrypted', kid: row.kid, reason: 'manual' });
      }
      out.totpSecrets = await reencryptTotpSecrets(tx, target, previous);
      return out;
    }),
  );
  if (result === undefined) throw new AppError('KEYS_UNAVAILABLE', 'the keys lock was not taken');
  emitAll(opts.onEvent, events);
  return result;
}
