import type { Config } from '../../config/index.js';

/**
 * How long a deny entry must stay: until no token it targets can still be valid, i.e. its
 * latest possible issue time + the longest id_token lifetime any client has + clock skew.
 */
export interface RevocationPolicy {
  /** The longest id_token lifetime: `expiry.idTokens` or any client's `idTokenTTL`. */
  readonly maxTokenLifetimeMs: number;
  /** Allowance for the clocks of sigil and the API servers disagreeing. */
  readonly clockSkewMs: number;
}

/** The same skew keys/ allows verifiers (a retired key's publication covers it too). */
export const REVOCATION_CLOCK_SKEW_MS = 5 * 60_000;

export function revocationPolicy(config: Config): RevocationPolicy {
  return {
    maxTokenLifetimeMs: Math.max(
      config.expiry.idTokens,
      ...config.staticClients.flatMap((c) => (c.idTokenTTL === undefined ? [] : [c.idTokenTTL])),
    ),
    clockSkewMs: REVOCATION_CLOCK_SKEW_MS,
  };
}

/** keepUntil of an entry whose targeted tokens were all issued by `lastIssue`. */
export function keepUntil(policy: RevocationPolicy, lastIssue: Date): Date {
  return new Date(lastIssue.getTime() + policy.maxTokenLifetimeMs + policy.clockSkewMs);
}
