export {
  createMetrics,
  grantLabel,
  type Metrics,
  type MetricsOptions,
  type LoginOutcome,
  type RefreshOutcome,
  type ThrottleScope,
  type LdapOperation,
} from './metrics.js';
export { routeLabel, methodLabel } from './route-label.js';
export { RequestScopes, type RequestScope } from './request-scope.js';
export { instrumentConnector, instrumentProvider, instrumentThrottle } from './instrument.js';
export { activeKeyActivatedAt } from './key-age.js';
export { metricsForConfig } from './for-config.js';
export type { SessionRevoker } from './sessions.js';
