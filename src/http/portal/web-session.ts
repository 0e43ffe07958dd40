import { createHash, randomBytes } from 'node:crypto';
import type { Adapter } from 'oidc-provider';

/** What sigil's own pages know about the person signed in to them: their id_token's claims. */
export interface WebSession {
  readonly claims: Readonly<Record<string, unknown>>;
  /** Unix seconds: the id_token's `exp`, also the session's end. */
  readonly exp: number;
}

export interface WebSessionStore {
  /** Saves a session; returns the opaque value for the browser cookie. */
  create(session: WebSession): Promise<string>;
  find(cookieValue: string | undefined): Promise<WebSession | undefined>;
  destroy(cookieValue: string | undefined): Promise<void>;
}

const MODEL = 'WebSession';

function key(cookieValue: string): string {
  return createHash('sha256').update(cookieValue, 'utf8').digest('base64url');
}

function wellFormed(value: string | undefined): value is string {
  return value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value);
}

/**
 * Web sessions in the database (through the oidc-provider adapter, model `WebSession`), so
 * every replica sees them and they expire with the id_token (`find` hides expired rows, the
 * GC deletes them). The cookie holds 32 random bytes; the table holds only their sha256.
 */
export function createWebSessionStore(adapter: new (name: string) => Adapter): WebSessionStore {
  const store = new adapter(MODEL);
  return {
    async create(session) {
      const value = randomBytes(32).toString('base64url');
      const ttl = Math.max(1, session.exp - Math.floor(Date.now() / 1000));
      await store.upsert(key(value), { extra: { ...session.claims }, exp: session.exp }, ttl);
      return value;
    },
    async find(value) {
      if (!wellFormed(value)) return undefined;
      const row = await store.find(key(value));
      if (row?.extra === undefined || typeof row.exp !== 'number') return undefined;
      if (row.exp <= Math.floor(Date.now() / 1000)) return undefined;
      return { claims: row.extra, exp: row.exp };
    },
    async destroy(value) {
      if (wellFormed(value)) await store.destroy(key(value));
    },
  };
}
