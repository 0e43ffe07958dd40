import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import { isAppError } from '../errors.js';
import {
  PayloadStore,
  type Db,
  type PayloadStoreOptions,
  type StoredPayload,
} from '../storage/index.js';
import type { DexImports } from './dex-imports.js';
import { retryable } from './unavailable.js';

export interface AdapterOptions extends PayloadStoreOptions {
  /** What `sigil import dex` brought over: Dex API clients, Dex refresh tokens (dex-imports.ts). */
  readonly dex?: DexImports;
}

/**
 * oidc-provider's Adapter over storage's PayloadStore (the `oidc_payload` table). The only
 * thing it adds is the OAuth meaning of storage's errors:
 * - STORAGE_INVALID_INPUT (a NUL byte or invalid Unicode in an id or payload) is the
 *   requester's fault: `invalid_request`, a 400, instead of a database error and a 500;
 * - a database outage (DB_UNAVAILABLE) is `temporarily_unavailable`, a retryable 503.
 */
export function createAdapterClass(
  db: Db,
  opts: AdapterOptions = {},
): new (name: string) => Adapter {
  const dex = opts.dex;
  return class SigilAdapter implements Adapter {
    readonly #store: PayloadStore;
    readonly #name: string;

    constructor(name: string) {
      this.#store = new PayloadStore(db, name, opts);
      this.#name = name;
    }

    upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      return oauthErrors(this.#store.upsert(id, payload as StoredPayload, expiresIn));
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const stored = await found(this.#store.find(id));
      if (stored !== undefined || dex === undefined) return stored;
      // Not sigil's: maybe what the Dex import brought over.
      if (this.#name === 'Client') return oauthErrors(dex.client(id));
      if (this.#name === 'RefreshToken' && (await oauthErrors(dex.claimRefreshToken(id)))) {
        // The claim wrote the token outside this store: the request's memo still says "none".
        this.#store.forget(id);
        return found(this.#store.find(id));
      }
      return undefined;
    }

    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return found(this.#store.findByUid(uid));
    }

    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return found(this.#store.findByUserCode(userCode));
    }

    consume(id: string): Promise<void> {
      return oauthErrors(this.#store.consume(id));
    }

    destroy(id: string): Promise<void> {
      return oauthErrors(this.#store.destroy(id));
    }

    revokeByGrantId(grantId: string): Promise<void> {
      return oauthErrors(this.#store.revokeByGrantId(grantId));
    }
  };
}

async function oauthErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw oauthError(err);
  }
}

/** A stored payload is what oidc-provider saved: its own type again. */
function found(work: Promise<StoredPayload | undefined>): Promise<AdapterPayload | undefined> {
  return oauthErrors(work);
}

/** A storage error as the OAuth error oidc-provider answers with. */
export function oauthError(err: unknown): unknown {
  if (isAppError(err, 'STORAGE_INVALID_INPUT'))
    return new errors.InvalidRequest(
      'request contains characters that cannot be processed (NUL or invalid Unicode)',
    );
  return retryable(err);
}
