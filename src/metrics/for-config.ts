import type { Config } from '../config/index.js';
import { countActiveLoginSessions, type Queryable } from '../storage/index.js';
import { activeKeyActivatedAt } from './key-age.js';
import { createMetrics, type Metrics } from './metrics.js';

/** The metrics of one server, with the series its configuration implies started at zero. */
export function metricsForConfig(config: Config, db: Queryable): Metrics {
  return createMetrics({
    connectors: [
      ...config.connectors.map((c) => ({ id: c.id, type: c.type })),
      ...(config.enablePasswordDB ? [{ id: 'local', type: 'local' }] : []),
    ],
    clients: config.staticClients.map((c) => ({
      id: c.id,
      grants: c.refreshTokens ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
    })),
    signingKeyActivatedAt: activeKeyActivatedAt(db),
    activeSessions: () => countActiveLoginSessions(db),
  });
}
