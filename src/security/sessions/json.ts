import type { LoginSession } from '../../storage/index.js';

/**
 * A session as the CLI's `--json`, the admin API and the docs show it: stable field names,
 * ISO 8601 times, absent fields left out.
 */
export interface SessionJson {
  readonly id: string;
  readonly user: string;
  readonly sub: string;
  readonly connector: string;
  readonly client: string;
  readonly audiences: readonly string[];
  readonly grantType: string;
  readonly amr?: readonly string[];
  readonly device: string;
  readonly userAgent?: string;
  readonly ipFirst?: string;
  readonly ipLast?: string;
  readonly created: string;
  readonly lastUsed: string;
  readonly idleExpires?: string;
  readonly expires: string;
  readonly active: boolean;
  readonly ended?: string;
  readonly endReason?: string;
  readonly endedBy?: Readonly<Record<string, unknown>>;
}

const iso = (d: Date): string => d.toISOString();

/** Whether a session is neither ended nor expired at `now`. */
export function isActive(s: LoginSession, now = new Date()): boolean {
  return (
    s.endedAt === undefined &&
    s.expiresAt > now &&
    (s.idleExpiresAt === undefined || s.idleExpiresAt > now)
  );
}

/** Short grant names: `urn:ietf:params:oauth:grant-type:device_code` → `device_code`. */
export function grantName(grantType: string): string {
  return grantType.startsWith('urn:') ? grantType.slice(grantType.lastIndexOf(':') + 1) : grantType;
}

export function sessionJson(s: LoginSession, now = new Date()): SessionJson {
  return {
    id: s.id,
    user: s.username,
    sub: s.sub,
    connector: s.connectorId,
    client: s.clientId,
    audiences: s.audiences,
    grantType: grantName(s.grantType),
    ...(s.amr === undefined ? {} : { amr: s.amr }),
    device: s.device,
    ...(s.userAgent === undefined ? {} : { userAgent: s.userAgent }),
    ...(s.ipFirst === undefined ? {} : { ipFirst: s.ipFirst }),
    ...(s.ipLast === undefined ? {} : { ipLast: s.ipLast }),
    created: iso(s.createdAt),
    lastUsed: iso(s.lastUsedAt),
    ...(s.idleExpiresAt === undefined ? {} : { idleExpires: iso(s.idleExpiresAt) }),
    expires: iso(s.expiresAt),
    active: isActive(s, now),
    ...(s.endedAt === undefined ? {} : { ended: iso(s.endedAt) }),
    ...(s.endReason === undefined ? {} : { endReason: s.endReason }),
    ...(s.endedBy === undefined ? {} : { endedBy: s.endedBy }),
  };
}
