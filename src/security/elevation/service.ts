import { randomBytes } from 'node:crypto';
import { anyOf, formatDuration } from '../../lib/index.js';
import type { Logger } from '../../log.js';
import {
  decideElevation,
  endElevation,
  expireElevations,
  findElevation,
  insertElevation,
  listElevations,
  pendingElevations,
  type Db,
  type StoredElevation,
} from '../../storage/index.js';
import type { Audit } from '../audit.js';
import { ElevationRefused } from './refusal.js';
import { END_MARGIN_MS } from './tokens.js';
import {
  cleanReason,
  inAny,
  MAX_REASON_LENGTH,
  publicRole,
  requestedSeconds,
  type ResolvedRole,
} from './roles.js';
import type {
  Elevation,
  ElevationActor,
  ElevationFilter,
  ElevationPerson,
  ElevationRefusal,
  ElevationRequest,
  Elevations,
} from './types.js';

/** What ending a grant early needs of the revocation service: deny its logins' earlier tokens. */
export interface ElevationDenyEntries {
  /** Tokens of these logins issued before `before` are refused until `keepUntil`. */
  revokeSessionsBefore(
    q: Db,
    sessions: readonly { readonly sid: string; readonly sub: string }[],
    before: Date,
    keepUntil: Date,
    cause: { readonly reason: string; readonly actor: ElevationActor },
  ): Promise<number>;
}

export interface ElevationsDeps {
  readonly db: Db;
  readonly roles: readonly ResolvedRole[];
  readonly pendingTimeoutMs: number;
  /** How recent the second factor of a self approval must be. */
  readonly freshFactorMs: number;
  /** admin.groups (patterns): admins see and may end every elevation. */
  readonly adminGroups: readonly string[];
  readonly audit?: Audit;
  readonly deny?: ElevationDenyEntries;
  /** Clock skew allowed the API servers: deny entries of an early end stay this long past endsAt. */
  readonly clockSkewMs?: number;
  readonly log?: Logger;
  readonly now?: () => Date;
}

const ID = /^el_[A-Za-z0-9_-]{22}$/;
const newId = (): string => `el_${randomBytes(16).toString('base64url')}`;

/** The public shape of a row (the sids stay inside). */
function toElevation(e: StoredElevation): Elevation {
  const shown: Elevation & { sids?: readonly string[] } = { ...e };
  delete shown.sids;
  return shown;
}

const actorOf = (p: ElevationPerson): ElevationActor => ({
  kind: p.kind ?? 'person',
  id: p.sub,
});

/** The audit details every elevation event carries. */
function details(e: StoredElevation, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: e.id,
    requester: { sub: e.sub, username: e.username },
    role: e.role,
    group: e.group,
    reason: e.reason,
    durationSec: e.durationSec,
    ...extra,
  };
}

export function createElevations(deps: ElevationsDeps): Elevations {
  return new ElevationService(deps);
}

/** The service: every decision is one conditional statement, every outcome audited. */
class ElevationService implements Elevations {
  readonly #deps: ElevationsDeps;
  readonly #isAdmin: (group: string) => boolean;

  constructor(deps: ElevationsDeps) {
    this.#deps = deps;
    this.#isAdmin = anyOf(deps.adminGroups);
  }

  #now(): Date {
    return this.#deps.now?.() ?? new Date();
  }

  #role(name: string): ResolvedRole | undefined {
    return this.#deps.roles.find((r) => r.name === name);
  }

  rolesFor(p: ElevationPerson) {
    return this.#deps.roles.filter((r) => inAny(p.groups, r.eligible)).map(publicRole);
  }

  mayApprove(p: ElevationPerson, role: string): boolean {
    const r = this.#role(role);
    return r !== undefined && r.approval === 'approvers' && inAny(p.groups, r.approverGroups);
  }

  #admin(p: ElevationPerson): boolean {
    // The CLI's operator, an admin.clients client (the API checked its admin scope), admin.groups.
    return p.kind === 'operator' || p.kind === 'client' || p.groups.some(this.#isAdmin);
  }

  seesAll(p: ElevationPerson): boolean {
    return this.#admin(p) || this.#deps.roles.some((r) => this.mayApprove(p, r.name));
  }

  #canSee(p: ElevationPerson, e: StoredElevation): boolean {
    return e.sub === p.sub || this.#admin(p) || this.mayApprove(p, e.role);
  }

  async #audit(
    event: string,
    e: StoredElevation,
    by: ElevationPerson | undefined,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    await this.#deps.audit?.record({
      event,
      outcome: 'success',
      sub: e.sub,
      username: e.username,
      details: details(e, { ...(by === undefined ? {} : { actor: actorOf(by) }), ...extra }),
    });
  }

  /** Audits a refusal and throws it: nothing was granted. */
  async #refuse(
    reason: ElevationRefusal,
    message: string,
    by: ElevationPerson,
    extra: Record<string, unknown> = {},
  ): Promise<never> {
    await this.#deps.audit?.record({
      event: 'elevation.refused',
      outcome: 'denied',
      reason,
      sub: by.sub,
      username: by.username,
      details: { actor: actorOf(by), ...extra },
    });
    throw new ElevationRefused(reason, message);
  }

  /** The row `id` names if `p` may see it; a refusal (not_found) otherwise. */
  async #visible(id: unknown, p: ElevationPerson, op: string): Promise<StoredElevation> {
    const e =
      typeof id === 'string' && ID.test(id)
        ? await findElevation(this.#deps.db, id, this.#now())
        : undefined;
    if (e === undefined || !this.#canSee(p, e))
      return this.#refuse('not_found', 'No elevation request with that id.', p, {
        op,
        id: typeof id === 'string' ? id.slice(0, 64) : undefined,
      });
    return e;
  }

  async #comment(text: unknown, p: ElevationPerson, op: string): Promise<string | undefined> {
    if (text === undefined || text === null || text === '') return undefined;
    const c = cleanReason(text);
    if (c === undefined)
      return this.#refuse(
        'bad_reason',
        'The comment must have at most 500 characters and no control characters.',
        p,
        { op },
      );
    return c === '' ? undefined : c;
  }

  /** Why a row that is not pending cannot be decided. */
  async #notPending(e: StoredElevation, p: ElevationPerson, op: string): Promise<never> {
    return e.state === 'expired' && e.startsAt === undefined
      ? this.#refuse(
          'request_expired',
          'This request expired before anyone decided it; ask again.',
          p,
          { op, id: e.id },
        )
      : this.#refuse('not_pending', `This request is not pending any more (it is ${e.state}).`, p, {
          op,
          id: e.id,
        });
  }

  approve(id: string, approver: ElevationPerson, comment?: string): Promise<Elevation> {
    return this.#decide(id, approver, true, comment);
  }

  deny(id: string, approver: ElevationPerson, comment?: string): Promise<Elevation> {
    return this.#decide(id, approver, false, comment);
  }

  async #decide(
    id: string,
    approver: ElevationPerson,
    approve: boolean,
    text: string | undefined,
  ): Promise<Elevation> {
    const op = approve ? 'approve' : 'deny';
    const e = await this.#visible(id, approver, op);
    const ids = { op, id: e.id };
    if (e.sub === approver.sub)
      return this.#refuse(
        'own_request',
        'You cannot decide your own request; an approver must.',
        approver,
        ids,
      );
    if (!this.mayApprove(approver, e.role))
      return this.#refuse(
        'not_approver',
        `You are not an approver of the role ${e.role}.`,
        approver,
        ids,
      );
    if (e.state !== 'pending') return this.#notPending(e, approver, op);
    const c = await this.#comment(text, approver, op);
    const at = this.#now();
    const by = actorOf(approver);
    const done = await decideElevation(this.#deps.db, e.id, { approve, by, comment: c, now: at });
    if (done === undefined) {
      // Another replica (or a second click) decided it first, or its deadline just passed.
      const again = (await findElevation(this.#deps.db, e.id, at)) ?? e;
      return this.#notPending(again, approver, op);
    }
    if (approve) {
      await this.#audit('elevation.approved', done, approver, { comment: c });
      await this.#audit('elevation.activated', done, approver, {
        endsAt: done.endsAt?.toISOString(),
      });
    } else await this.#audit('elevation.denied', done, approver, { comment: c });
    return toElevation(done);
  }

  /** The role `p` asks for, checked: known, eligible, a duration and a reason that fit. */
  async #checkRequest(p: ElevationPerson, input: ElevationRequest) {
    const role = this.#role(input.role);
    if (role === undefined)
      return this.#refuse('unknown_role', 'There is no role with that name.', p, {
        role: input.role.slice(0, 64),
      });
    if (!inAny(p.groups, role.eligible))
      return this.#refuse('not_eligible', `You may not ask for the role ${role.name}.`, p, {
        role: role.name,
      });
    const durationSec = requestedSeconds(input.duration, role.maxDurationSec);
    if (durationSec === undefined)
      return this.#refuse(
        'bad_duration',
        `The duration must be like 30m or 1h: more than 0 and at most ${formatDuration(role.maxDurationSec * 1000)}.`,
        p,
        { role: role.name, duration: String(input.duration).slice(0, 32) },
      );
    const reason = cleanReason(input.reason);
    if (reason === undefined || reason === '')
      return this.#refuse(
        'bad_reason',
        `Give a reason of 1 to ${String(MAX_REASON_LENGTH)} characters, without control characters.`,
        p,
        {
          role: role.name,
          reasonLength: typeof input.reason === 'string' ? input.reason.length : undefined,
        },
      );
    return { role, durationSec, reason };
  }

  async request(p: ElevationPerson, input: ElevationRequest): Promise<Elevation> {
    const { role, durationSec, reason } = await this.#checkRequest(p, input);
    const at = this.#now();
    const fresh =
      p.factorAt !== undefined && at.getTime() - p.factorAt.getTime() <= this.#deps.freshFactorMs;
    if (role.approval === 'self' && role.requireMFA && !fresh)
      return this.#refuse(
        'mfa_required',
        'This role needs a fresh second factor: enter a code from your authenticator.',
        p,
        { role: role.name },
      );
    const row = await insertElevation(this.#deps.db, {
      id: newId(),
      sub: p.sub,
      username: p.username,
      role: role.name,
      group: role.group,
      clusters: role.clusters,
      reason,
      durationSec,
      requestedAt: at,
      pendingUntil: new Date(at.getTime() + this.#deps.pendingTimeoutMs),
    });
    await this.#audit('elevation.requested', row, p);
    if (role.approval !== 'self') return toElevation(row);
    const done = await decideElevation(this.#deps.db, row.id, {
      approve: true,
      by: actorOf(p),
      comment: undefined,
      now: at,
    });
    if (done === undefined) return toElevation(row);
    await this.#audit('elevation.approved', done, p, { self: true, factor: role.requireMFA });
    await this.#audit('elevation.activated', done, p, { endsAt: done.endsAt?.toISOString() });
    return toElevation(done);
  }

  async end(id: string, by: ElevationPerson, text?: string): Promise<Elevation> {
    const e = await this.#visible(id, by, 'end');
    const ids = { op: 'end', id: e.id };
    if (e.state === 'pending' && e.sub !== by.sub)
      return this.#refuse(
        'not_active',
        'Only its requester withdraws a pending request; an approver denies it.',
        by,
        ids,
      );
    if (e.state !== 'active' && e.state !== 'pending')
      return this.#refuse(
        'not_active',
        `This elevation is not active (it is ${e.state}).`,
        by,
        ids,
      );
    const c = await this.#comment(text, by, 'end');
    const at = this.#now();
    const r = await endElevation(this.#deps.db, e.id, actorOf(by), at, c);
    if (r === undefined)
      return this.#refuse('not_active', 'This elevation is not active any more.', by, ids);
    await this.#audit('elevation.ended', r.ended, by, {
      comment: c,
      withdrawn: !r.wasActive,
      sessions: r.ended.sids.length,
    });
    if (r.wasActive) await this.#denyEarlier(r.ended, by, at);
    return toElevation(r.ended);
  }

  /**
   * An early end: the logins that carried the group lose their tokens issued before now (and
   * END_MARGIN_MS after: a refresh that read the grant just before the end).
   */
  async #denyEarlier(e: StoredElevation, by: ElevationPerson, at: Date): Promise<void> {
    const deny = this.#deps.deny;
    if (deny === undefined || e.sids.length === 0) return;
    const endsAt = e.endsAt ?? at;
    try {
      await deny.revokeSessionsBefore(
        this.#deps.db,
        e.sids.map((sid) => ({ sid, sub: e.sub })),
        new Date(at.getTime() + END_MARGIN_MS),
        new Date(endsAt.getTime() + (this.#deps.clockSkewMs ?? 0)),
        { reason: 'elevation_ended', actor: actorOf(by) },
      );
    } catch (err) {
      this.#deps.log?.error(
        { event: 'revocation.failed', id: e.id, err },
        'could not record the deny entries of an ended elevation',
      );
    }
  }

  async get(id: string, viewer: ElevationPerson): Promise<Elevation | undefined> {
    if (!ID.test(id)) return undefined;
    const e = await findElevation(this.#deps.db, id, this.#now());
    return e !== undefined && this.#canSee(viewer, e) ? toElevation(e) : undefined;
  }

  async list(filter: ElevationFilter): Promise<Elevation[]> {
    return (await listElevations(this.#deps.db, filter, this.#now())).map(toElevation);
  }

  async pendingFor(approver: ElevationPerson): Promise<Elevation[]> {
    const roles = this.#deps.roles
      .filter((r) => this.mayApprove(approver, r.name))
      .map((r) => r.name);
    const rows = await pendingElevations(this.#deps.db, roles, approver.sub, this.#now());
    return rows.map(toElevation);
  }

  async sweep(): Promise<number> {
    const done = await expireElevations(this.#deps.db, this.#now());
    for (const { elevation, was } of done)
      await this.#audit('elevation.expired', elevation, undefined, {
        actor: { kind: 'system', id: 'sweeper' },
        was,
      });
    return done.length;
  }
}
