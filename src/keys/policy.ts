import { DEFAULT_ROTATION_PERIOD_MS, type Config } from '../config/index.js';
import type { SigningAlg } from './keystore.js';

/**
 * When keys rotate, how long they stay published, and how fast replicas follow: the numbers
 * every key operation works from, resolved once from the configuration.
 */
export interface KeyPolicy {
  readonly alg: SigningAlg;
  /** The active key signs this long before the next key takes over. */
  readonly rotationPeriodMs: number;
  /** A next key is published at least this long (after every replica serves it) before it signs. */
  readonly leadTimeMs: number;
  /** Replicas reload the key set this often (and try a due rotation). */
  readonly pollMs: number;
  /**
   * Worst case between a change in the database and every replica serving it: a poll interval,
   * plus the time to load and rebuild, plus a margin. A new key counts as published only
   * after this; a revoked or retired key may still sign this long on a lagging replica.
   */
  readonly propagationMs: number;
  /** A retired key stays published this long: the longest token lifetime plus skew and propagation. */
  readonly retainMs: number;
  /** JWKS Cache-Control max-age (seconds): never more than the lead time. */
  readonly jwksMaxAgeSec: number;
}

export const DEFAULT_POLL_MS = 2000;
/** Verifiers' clock skew allowance that a retired key's publication must also cover. */
export const CLOCK_SKEW_MS = 5 * 60_000;

export function keyPolicyFromConfig(
  config: Config,
  overrides: { pollMs?: number } = {},
): KeyPolicy {
  const pollMs = overrides.pollMs ?? DEFAULT_POLL_MS;
  const propagationMs = 2 * pollMs + 1000;
  const tokenLifetimes = [
    config.expiry.idTokens,
    ...config.staticClients.flatMap((c) => (c.idTokenTTL === undefined ? [] : [c.idTokenTTL])),
  ];
  const leadTimeMs = config.keys.leadTime;
  return {
    alg: config.keys.algorithm,
    rotationPeriodMs:
      config.keys.rotationPeriod ?? config.expiry.signingKeys ?? DEFAULT_ROTATION_PERIOD_MS,
    leadTimeMs,
    pollMs,
    propagationMs,
    retainMs: Math.max(...tokenLifetimes) + CLOCK_SKEW_MS + propagationMs,
    jwksMaxAgeSec: Math.floor(leadTimeMs / 1000),
  };
}
