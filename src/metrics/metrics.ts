import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { sessionMetrics, type SessionRevoker } from './sessions.js';

/** How a password login ended, as counted in `sigil_logins_total`. */
export type LoginOutcome = 'success' | 'failure' | 'unavailable' | 'error';
/** How a refresh grant ended, as counted in `sigil_refresh_total`. */
export type RefreshOutcome = 'success' | 'denied' | 'unavailable' | 'error';
/** What a throttled attempt was throttled by. */
export type ThrottleScope = 'username' | 'ip';
export type LdapOperation = 'bind' | 'search';

/**
 * The counters sigil's parts report to. One object per server, created in server.ts and
 * handed to whoever counts something; nothing here is a module-level singleton, so several
 * servers in one process (the tests) keep separate numbers.
 */
export interface Metrics {
  /** The Prometheus text exposition of every metric (sigil_* and the process defaults). */
  render(): Promise<string>;
  readonly contentType: string;
  login(connector: string, outcome: LoginOutcome): void;
  tokenIssued(grant: string, client: string): void;
  refresh(outcome: RefreshOutcome, reason: string): void;
  ldapOperation(op: LdapOperation, host: string, seconds: number): void;
  ldapFailover(connector: string): void;
  /** One lookup in a connector's group graph cache, and the entries it holds after it. */
  ldapGroupCache(connector: string, result: 'hit' | 'miss', size: number): void;
  /** A refresh answered from the last-known identity while the directory was down (outagePolicy). */
  refreshDegraded(connector: string): void;
  /** A login (page, device flow or password grant) refused by the throttle before any check. */
  throttled(scope: ThrottleScope): void;
  /** A second-factor event: factor totp|webauthn|recovery, outcome success|failure|locked|enrolled|removed|reset. */
  mfa(factor: string, outcome: string): void;
  /** `route` must be a low-cardinality label (see routeLabel), never a raw path. */
  httpRequest(route: string, method: string, status: number, seconds: number): void;
  /** Sessions ended before their time (`sigil_sessions_revoked_total{by}`). */
  sessionsRevoked(by: SessionRevoker, n: number): void;
}

export interface MetricsOptions {
  /** Connector ids: their login series start at zero. */
  connectors: readonly { id: string; type: string }[];
  /** Clients and the grants they may use: their token series start at zero. */
  clients: readonly { id: string; grants: readonly string[] }[];
  /** When the signing key in service was activated (undefined when unknown). */
  signingKeyActivatedAt?: () => Promise<Date | undefined>;
  /** How many sessions are active now (`sigil_sessions_active`), read when scraped. */
  activeSessions?: () => Promise<number>;
  /** Process and Node.js metrics (default true). */
  processMetrics?: boolean;
}

const LOGIN_OUTCOMES: readonly LoginOutcome[] = ['success', 'failure', 'unavailable', 'error'];
const THROTTLE_SCOPES: readonly ThrottleScope[] = ['username', 'ip'];
const MFA_FACTORS = ['totp', 'webauthn', 'recovery'] as const;

/** Short, bounded grant labels: `urn:ietf:params:oauth:grant-type:device_code` → `device_code`. */
export function grantLabel(grantType: string): string {
  const short = grantType.startsWith('urn:')
    ? grantType.slice(grantType.lastIndexOf(':') + 1)
    : grantType;
  return /^[a-z_]{1,40}$/.test(short) ? short : 'other';
}

export function createMetrics(opts: MetricsOptions): Metrics {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const { logins, tokens, refreshes, ldapLatency, failovers, throttled, http, mfa } =
    instruments(registers);
  const directory = directoryInstruments(registers);
  keyAgeGauge(registers, opts.signingKeyActivatedAt);
  const sessionsRevoked = sessionMetrics(registers, opts.activeSessions);

  // Series that must exist before the first event (library-notes: prom-client).
  for (const c of opts.connectors) {
    for (const outcome of LOGIN_OUTCOMES) logins.labels(c.id, outcome).inc(0);
    if (c.type === 'ldap') {
      failovers.labels(c.id).inc(0);
      for (const result of ['hit', 'miss'] as const)
        directory.groupCache.labels(c.id, result).inc(0);
      directory.groupCacheSize.labels(c.id).set(0);
      directory.degraded.labels(c.id).inc(0);
    }
  }
  for (const c of opts.clients) for (const g of c.grants) tokens.labels(grantLabel(g), c.id).inc(0);
  refreshes.labels('success', 'ok').inc(0);
  for (const s of THROTTLE_SCOPES) throttled.labels(s).inc(0);
  for (const f of MFA_FACTORS) for (const o of ['success', 'failure']) mfa.labels(f, o).inc(0);

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    login: (connector, outcome) => {
      logins.labels(connector, outcome).inc();
    },
    tokenIssued: (grant, client) => {
      tokens.labels(grantLabel(grant), client).inc();
    },
    refresh: (outcome, reason) => {
      refreshes.labels(outcome, reason).inc();
    },
    ldapOperation: (op, host, seconds) => {
      ldapLatency.labels(op, host).observe(seconds);
    },
    ldapFailover: (connector) => {
      failovers.labels(connector).inc();
    },
    ldapGroupCache: (connector, result, size) => {
      directory.groupCache.labels(connector, result).inc();
      directory.groupCacheSize.labels(connector).set(size);
    },
    refreshDegraded: (connector) => {
      directory.degraded.labels(connector).inc();
    },
    throttled: (scope) => {
      throttled.labels(scope).inc();
    },
    mfa: (factor, outcome) => {
      mfa.labels(factor, outcome).inc();
    },
    httpRequest: (route, method, status, seconds) => {
      http.labels(route, method, String(status)).observe(seconds);
    },
    sessionsRevoked,
  };
}

/** The counters and histograms of createMetrics, registered in `registers`. */
function instruments(registers: Registry[]) {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter({ name, help, labelNames, registers });
  const histogram = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ) => new Histogram({ name, help, labelNames, buckets, registers });
  return {
    logins: counter(
      'sigil_logins_total',
      'Password logins by connector and outcome (failure: refused credentials; unavailable: directory unreachable).',
      ['connector', 'outcome'],
    ),
    tokens: counter(
      'sigil_tokens_issued_total',
      'Successful token endpoint answers by grant type and client.',
      ['grant', 'client'],
    ),
    refreshes: counter(
      'sigil_refresh_total',
      'Refresh grants by outcome and reason (the directory refusal or the OAuth error).',
      ['outcome', 'reason'],
    ),
    ldapLatency: histogram(
      'sigil_ldap_operation_duration_seconds',
      'LDAP bind and search latency per directory host (failed operations included).',
      ['op', 'host'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
    failovers: counter(
      'sigil_ldap_failovers_total',
      'Operations that had to move on from an unreachable LDAP host to the next one.',
      ['connector'],
    ),
    throttled: counter(
      'sigil_throttled_total',
      'Login attempts refused by the brute-force throttle, by what was throttled.',
      ['scope'],
    ),
    mfa: counter(
      'sigil_mfa_total',
      'Second-factor checks and changes by factor (totp, webauthn, recovery) and outcome (success, failure, locked, enrolled, removed, reset).',
      ['factor', 'outcome'],
    ),
    http: histogram(
      'sigil_http_request_duration_seconds',
      'HTTP request latency by route pattern, method and status.',
      ['route', 'method', 'status'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
  };
}

/** The directory cache and outage policy of the LDAP connectors. */
function directoryInstruments(registers: Registry[]) {
  return {
    groupCache: new Counter({
      name: 'sigil_ldap_group_cache_lookups_total',
      help: 'Lookups of a parent-group edge in the group graph cache, by connector and result (hit, miss).',
      labelNames: ['connector', 'result'] as const,
      registers,
    }),
    groupCacheSize: new Gauge({
      name: 'sigil_ldap_group_cache_entries',
      help: 'Groups whose parents the connector has cached (bounded LRU).',
      labelNames: ['connector'] as const,
      registers,
    }),
    degraded: new Counter({
      name: 'sigil_refresh_degraded_total',
      help: 'Refreshes answered from the last-known identity and groups while the directory was unreachable (outagePolicy lastKnown).',
      labelNames: ['connector'] as const,
      registers,
    }),
  };
}

/** `sigil_signing_key_age_seconds`, read from the database when scraped. */
function keyAgeGauge(registers: Registry[], keyAge: MetricsOptions['signingKeyActivatedAt']): void {
  new Gauge({
    name: 'sigil_signing_key_age_seconds',
    help: 'Seconds since the signing key in service was activated.',
    registers,
    async collect() {
      if (keyAge === undefined) return;
      try {
        const at = await keyAge();
        if (at !== undefined) this.set(Math.max(0, (Date.now() - at.getTime()) / 1000));
      } catch {
        // The database is down: /readyz says so; the last value stays.
      }
    },
  });
}
