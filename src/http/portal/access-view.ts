import type {
  Elevation,
  ElevationActor,
  ElevationRole,
  ElevationState,
} from '../../security/index.js';

/**
 * What views/access.eta shows of elevations and roles: plain strings and flags, formatted
 * once here so the template only prints.
 */

/** Seconds in Go duration syntax, the way the form asks for it: 5400 → `1h30m`. */
export function goDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec <= 0) return '0s';
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = Math.floor(sec % 60);
  return `${h > 0 ? `${String(h)}h` : ''}${m > 0 ? `${String(m)}m` : ''}${s > 0 ? `${String(s)}s` : ''}`;
}

/** A time as people read it on the page, and as `<time datetime>` carries it. */
export interface ShownTime {
  readonly text: string;
  readonly iso: string;
}

export function shown(d: Date): ShownTime {
  return { text: `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`, iso: d.toISOString() };
}

const STATE_TEXT: Readonly<Record<ElevationState, string>> = {
  pending: 'Waiting for approval',
  active: 'Active',
  denied: 'Denied',
  expired: 'Expired',
  ended: 'Ended',
};

export interface RoleView {
  readonly name: string;
  readonly group: string;
  readonly max: string;
  readonly approval: string;
  /** Self-approved and needs a fresh second factor: the form's code field applies. */
  readonly needsCode: boolean;
}

export function roleView(r: ElevationRole): RoleView {
  const approval =
    r.approval === 'self'
      ? `you approve it yourself${r.requireMFA ? ' with a code from your second factor' : ''}`
      : `approved by a member of ${r.approverGroups.join(', ')}`;
  return {
    name: r.name,
    group: r.group,
    max: goDuration(r.maxDurationSec),
    approval,
    needsCode: r.approval === 'self' && r.requireMFA,
  };
}

export interface ElevationView {
  readonly id: string;
  readonly username: string;
  readonly role: string;
  readonly group: string;
  /** The clusters whose tokens carry the group (empty: every client's). */
  readonly clusters: readonly string[];
  readonly reason: string;
  readonly duration: string;
  readonly state: ElevationState;
  readonly stateText: string;
  readonly requested: ShownTime;
  readonly pendingUntil: ShownTime;
  readonly starts: ShownTime | undefined;
  readonly ends: ShownTime | undefined;
  readonly ended: ShownTime | undefined;
  readonly decidedBy: string | undefined;
  readonly endedBy: string | undefined;
  readonly comment: string | undefined;
  /** The requester may end it (active) or withdraw it (pending). */
  readonly endable: boolean;
}

/**
 * One elevation for the page. `now` decides what is still endable: a row past its deadline
 * reads as expired even before the sweeper wrote it so (types.ts).
 */
export function elevationView(
  e: Elevation,
  now: Date,
  names: (actor: ElevationActor) => string,
): ElevationView {
  const overdue =
    (e.state === 'pending' && e.pendingUntil <= now) ||
    (e.state === 'active' && e.endsAt !== undefined && e.endsAt <= now);
  const state: ElevationState = overdue ? 'expired' : e.state;
  return {
    id: e.id,
    username: e.username,
    role: e.role,
    group: e.group,
    clusters: e.clusters,
    reason: e.reason,
    duration: goDuration(e.durationSec),
    state,
    stateText: STATE_TEXT[state],
    requested: shown(e.requestedAt),
    pendingUntil: shown(e.pendingUntil),
    starts: e.startsAt === undefined ? undefined : shown(e.startsAt),
    ends: e.endsAt === undefined ? undefined : shown(e.endsAt),
    ended: e.endedAt === undefined ? undefined : shown(e.endedAt),
    decidedBy: e.decidedBy === undefined ? undefined : names(e.decidedBy),
    endedBy: e.endedBy === undefined ? undefined : names(e.endedBy),
    comment: e.comment,
    endable: state === 'active' || state === 'pending',
  };
}
