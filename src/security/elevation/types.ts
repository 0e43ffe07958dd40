/**
 * Just-in-time elevation (issue 16): a person asks for a role (a group their id_tokens carry
 * for a bounded time), someone approves (or they approve themselves, with a fresh second factor
 * when the role says so), the grant lasts until its end or until someone ends it early.
 *
 * This file is the seam between the service (./service.ts, storage/logins/elevations.ts) and
 * its callers: the /home/access page (http/portal/access.ts), the admin API
 * (http/api/elevations.ts), the CLI (`sigil elevations list`) and the token path
 * (oidc/accounts.ts adds the active grants' groups and caps the id_token's exp).
 */
import type {
  RevocationActor,
  StoredElevation,
  StoredElevationState,
} from '../../storage/index.js';

/** The states of a request or grant (storage/logins/elevations.ts says what each means). */
export type ElevationState = StoredElevationState;

/** Who acted on a request: the same actor shape as the audit trail's `details.actor`. */
export type ElevationActor = RevocationActor;

/** A request or grant as callers see it: the stored row without the logins it reached. */
export type Elevation = Omit<StoredElevation, 'sids'>;

/** A role as one person may ask for it (the config's elevation.roles entry, resolved). */
export interface ElevationRole {
  readonly name: string;
  readonly group: string;
  readonly maxDurationSec: number;
  /** `self`: the requester approves their own request; `approvers`: someone in approverGroups. */
  readonly approval: 'self' | 'approvers';
  readonly approverGroups: readonly string[];
  readonly requireMFA: boolean;
  readonly clusters: readonly string[];
}

/** A person acting on elevations, as sigil last saw them (the identities table's groups). */
export interface ElevationPerson {
  readonly sub: string;
  readonly username: string;
  readonly groups: readonly string[];
  /**
   * When this person last proved a second factor: the page passes now after checking a code it
   * was just given; the API passes the access token's auth_time when its login's acr is
   * urn:sigil:mfa. Undefined: no fresh factor.
   */
  readonly factorAt?: Date | undefined;
  /** `operator` for the CLI; default `person`. */
  readonly kind?: 'person' | 'operator' | 'client';
}

export interface ElevationRequest {
  readonly role: string;
  /** Go duration syntax (`30m`, `1h30m`) or seconds. */
  readonly duration: string | number;
  readonly reason: string;
}

export interface ElevationFilter {
  readonly sub?: string | undefined;
  /** As typed at login, compared case-insensitively. */
  readonly username?: string | undefined;
  readonly states?: readonly ElevationState[] | undefined;
  /** Newest first; `after` is the cursor of the previous page (an elevation id). */
  readonly limit: number;
  readonly after?: string | undefined;
}

/**
 * Refusals carry a stable code (AppError code ELEVATION_REFUSED, HTTP 400/403/404/409 by
 * `reason`), a message a person can read, and are audited (`elevation.refused`) by the
 * service, never a grant.
 */
export type ElevationRefusal =
  | 'unknown_role' // 404-ish for the caller: no such role, or not one they may ask for (403)
  | 'not_eligible' // 403
  | 'bad_duration' // 400: not Go syntax, <= 0, over maxDuration
  | 'bad_reason' // 400: empty, over 500 characters, control characters
  | 'not_found' // 404: no such id (or not visible to the caller)
  | 'not_approver' // 403
  | 'own_request' // 403: approving one's own request when the role needs an approver
  | 'not_pending' // 409: already approved, denied, ended
  | 'request_expired' // 409: the pending request passed its deadline
  | 'not_active' // 409: ending something that is not active (or pending: a pending one is withdrawn)
  | 'mfa_required'; // 403: the role needs a fresh second factor for self approval

export interface Elevations {
  /** The roles `person` may ask for (eligible groups), in config order. */
  rolesFor(person: ElevationPerson): ElevationRole[];
  /** Whether `person` may decide requests for `role` (member of one of its approver groups). */
  mayApprove(person: ElevationPerson, role: string): boolean;
  /** Whether `person` sees everyone's requests (approver of some role, or an admin). */
  seesAll(person: ElevationPerson): boolean;
  /**
   * Files a request; a `self` role is approved at once (needs person.factorAt fresh when the
   * role requires MFA) and comes back `active`. Audits requested (+ approved, activated).
   */
  request(person: ElevationPerson, input: ElevationRequest): Promise<Elevation>;
  approve(id: string, approver: ElevationPerson, comment?: string): Promise<Elevation>;
  deny(id: string, approver: ElevationPerson, comment?: string): Promise<Elevation>;
  /**
   * Ends an active grant early (the requester, an approver of its role, an admin or an
   * operator), or withdraws a pending request (the requester). An ended grant gets deny
   * entries (security/revocation) for the logins that carried its group.
   */
  end(id: string, actor: ElevationPerson, comment?: string): Promise<Elevation>;
  /** One elevation, if `viewer` may see it (its requester, an approver, an admin). */
  get(id: string, viewer: ElevationPerson): Promise<Elevation | undefined>;
  list(filter: ElevationFilter): Promise<Elevation[]>;
  /** Pending requests `approver` may decide (not their own), oldest first. */
  pendingFor(approver: ElevationPerson): Promise<Elevation[]>;
  /** Marks overdue pending and active rows expired (once across replicas) and audits them. */
  sweep(): Promise<number>;
}
