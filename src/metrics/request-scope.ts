import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What one request learns on its way that a metric needs later in the same request: the
 * directory's reason for refusing a refresh is known inside the connector, the OAuth answer
 * only in the provider's grant.error event. Both run inside the request's async context.
 */
export interface RequestScope {
  refreshReason?: string;
  refreshOutcome?: 'denied' | 'unavailable';
}

export class RequestScopes {
  readonly #storage = new AsyncLocalStorage<RequestScope>();

  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.#storage.run({}, fn);
  }

  current(): RequestScope | undefined {
    return this.#storage.getStore();
  }
}
