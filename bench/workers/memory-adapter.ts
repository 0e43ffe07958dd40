import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * An in-memory oidc-provider adapter for the bare peer: Maps with expiry, nothing evicted
 * early. (oidc-provider's own development adapter is an LRU of 1000 entries: a few hundred
 * logins evict the refresh tokens a benchmark keeps using.)
 */
interface Stored {
  payload: AdapterPayload;
  expiresAt: number;
}

const store = new Map<string, Stored>();
const byGrant = new Map<string, Set<string>>();
const byUid = new Map<string, string>();
const byUserCode = new Map<string, string>();

export class MemoryAdapter implements Adapter {
  readonly #name: string;

  constructor(name: string) {
    this.#name = name;
  }

  #key(id: string): string {
    return `${this.#name}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const key = this.#key(id);
    store.set(key, { payload, expiresAt: Date.now() + expiresIn * 1000 });
    if (payload.grantId !== undefined) {
      let keys = byGrant.get(payload.grantId);
      if (keys === undefined) byGrant.set(payload.grantId, (keys = new Set()));
      keys.add(key);
    }
    if (payload.uid !== undefined) byUid.set(payload.uid, id);
    if (payload.userCode !== undefined) byUserCode.set(payload.userCode, id);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const key = this.#key(id);
    const hit = store.get(key);
    if (hit === undefined) return undefined;
    if (hit.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return hit.payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = byUid.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = byUserCode.get(userCode);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id: string): Promise<void> {
    const hit = store.get(this.#key(id));
    if (hit !== undefined) hit.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    store.delete(this.#key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const key of byGrant.get(grantId) ?? []) store.delete(key);
    byGrant.delete(grantId);
  }
}
