import type { Db } from '../storage/index.js';
import { emitAll, type KeyEvent, type KeyEventListener } from './events.js';
import {
  ensureKeys,
  loadKeySet,
  PLAINTEXT_SEALER,
  type KeySealer,
  type KeySet,
} from './keystore.js';
import type { KeyPolicy } from './policy.js';
import { createSealer } from './sealer.js';

/** The sealer for the configured key-encryption secret (plaintext without one). */
export function sealerFor(secret: string | undefined): KeySealer {
  return secret === undefined || secret === '' ? PLAINTEXT_SEALER : createSealer(secret);
}

export interface PrepareKeysOptions {
  readonly db: Db;
  readonly sealer: KeySealer;
  readonly policy: KeyPolicy;
  /** Warn about private keys stored in plaintext (production: not dev mode). */
  readonly warnPlaintext: boolean;
  readonly log: { warn(obj: object, msg: string): void };
  readonly onEvent?: KeyEventListener;
}

/**
 * At start: make sure an active and a next key exist (the first start creates both; the
 * first key signs at once), then load the published set. Warns when private keys are, or
 * stay, in plaintext.
 */
export async function prepareKeys(opts: PrepareKeysOptions): Promise<KeySet> {
  const { db, sealer, policy, log } = opts;
  if (!sealer.enabled && opts.warnPlaintext) {
    log.warn(
      {},
      'private signing keys are stored unencrypted: set keys.encryptionSecret (or encryptionSecretFile)',
    );
  }
  const { created, activated } = await ensureKeys(db, policy.alg, sealer);
  const events: KeyEvent[] = [
    ...created.map((kid): KeyEvent => ({ type: 'key.created', kid, reason: 'startup' })),
    ...activated.map((kid): KeyEvent => ({ type: 'key.activated', kid, reason: 'startup' })),
  ];
  emitAll(opts.onEvent, events);
  const set = await loadKeySet(db, sealer);
  if (sealer.enabled) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM signing_keys WHERE state <> 'revoked' AND NOT encrypted AND NOT public_only`,
    );
    const n = rows[0]?.n ?? 0;
    if (n > 0)
      log.warn(
        { keys: n },
        'some private signing keys are still in plaintext: run `sigil keys reencrypt`',
      );
  }
  return set;
}
