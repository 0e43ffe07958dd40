import type { KoaContextWithOIDC } from 'oidc-provider';
import type { PasswordConnector } from '../connectors/index.js';
import { isAppError } from '../errors.js';
import type { Metrics } from './metrics.js';
import type { RequestScopes } from './request-scope.js';

/**
 * Counts a connector's logins by outcome and notes, for the refresh metric, why the
 * directory refused a refresh. The connector itself knows nothing of metrics.
 */
export function instrumentConnector(
  connector: PasswordConnector,
  metrics: Metrics,
  scopes: RequestScopes,
): PasswordConnector {
  const c = connector;
  const outage = (err: unknown) => isAppError(err, 'CONNECTOR_UNAVAILABLE');
  return {
    id: c.id,
    name: c.name,
    type: c.type,
    usernamePrompt: c.usernamePrompt,
    ...(c.outage === undefined ? {} : { outage: c.outage }),
    async login(s, username, password) {
      try {
        const result = await c.login(s, username, password);
        metrics.login(c.id, result.ok ? 'success' : 'failure');
        return result;
      } catch (err) {
        metrics.login(c.id, outage(err) ? 'unavailable' : 'error');
        throw err;
      }
    },
    async refresh(s, identity) {
      const scope = scopes.current();
      try {
        const result = await c.refresh(s, identity);
        if (!result.ok && scope !== undefined) {
          scope.refreshOutcome = 'denied';
          scope.refreshReason = result.reason;
        }
        return result;
      } catch (err) {
        if (outage(err) && scope !== undefined) {
          scope.refreshOutcome = 'unavailable';
          scope.refreshReason = 'directory_unavailable';
        }
        throw err;
      }
    },
    ...(c.ping === undefined ? {} : { ping: (t: number) => c.ping?.(t) ?? Promise.resolve() }),
    ...(c.close === undefined ? {} : { close: () => c.close?.() ?? Promise.resolve() }),
  };
}

interface OidcEvents {
  on(event: 'grant.success', listener: (ctx: KoaContextWithOIDC) => void): unknown;
  on(event: 'grant.error', listener: (ctx: KoaContextWithOIDC, err: Error) => void): unknown;
}

const OAUTH_ERROR = /^[a-z_]{1,40}$/;

/**
 * Subscribes to the provider's token events: every successful token answer by grant and
 * client, and the outcome of every refresh. Call it again for each Provider built (a key
 * rotation that rebuilds the provider must re-attach it).
 */
export function instrumentProvider(
  provider: OidcEvents,
  metrics: Metrics,
  scopes: RequestScopes,
): void {
  provider.on('grant.success', (ctx) => {
    const grant = ctx.oidc.params?.['grant_type'];
    const client = ctx.oidc.client?.clientId;
    if (typeof grant !== 'string' || client === undefined) return;
    metrics.tokenIssued(grant, client);
    if (grant === 'refresh_token') metrics.refresh('success', 'ok');
  });
  provider.on('grant.error', (ctx, err) => {
    if (ctx.oidc.params?.['grant_type'] !== 'refresh_token') return;
    const scope = scopes.current();
    if (scope?.refreshOutcome !== undefined) {
      metrics.refresh(scope.refreshOutcome, scope.refreshReason ?? 'unknown');
      return;
    }
    const e = err as { error?: unknown; status?: unknown };
    const code = typeof e.error === 'string' && OAUTH_ERROR.test(e.error) ? e.error : 'error';
    const status = typeof e.status === 'number' ? e.status : 500;
    metrics.refresh(status === 503 ? 'unavailable' : status >= 500 ? 'error' : 'denied', code);
  });
}

/** What instrumentThrottle sees of security's LoginThrottle. */
export interface ThrottleVerdict {
  readonly allowed: boolean;
  readonly reason?: string;
}

export interface Throttle<K, D extends ThrottleVerdict> {
  check(key: K): Promise<D>;
  recordFailure(key: K): Promise<D>;
  recordSuccess(key: K, checked?: D): Promise<void>;
}

/**
 * Counts every attempt the brute-force throttle refuses (`sigil_throttled_total{scope}`):
 * `ip` for an address over its limit, `username` for a locked or backed-off username.
 */
export function instrumentThrottle<K, D extends ThrottleVerdict>(
  throttle: Throttle<K, D>,
  metrics: Metrics,
): Throttle<K, D> {
  return {
    async check(key) {
      const decision = await throttle.check(key);
      if (!decision.allowed) metrics.throttled(decision.reason === 'ip_locked' ? 'ip' : 'username');
      return decision;
    },
    recordFailure: (key) => throttle.recordFailure(key),
    recordSuccess: (key, checked) => throttle.recordSuccess(key, checked),
  };
}
