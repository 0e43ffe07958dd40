import { isAppError } from '../../errors.js';
import { isElevationRefused, type Elevation } from '../../security/index.js';
import {
  field,
  nowOf,
  type AccessDeps,
  type Ctx,
  type FieldName,
  type PageState,
  type Person,
} from './access-types.js';

/**
 * The form posts of /home/access: ask for a role (with a code when one approves it oneself),
 * approve, deny, end or withdraw. Each returns the `?done=` word of a success, or the page
 * state of a refusal (the service's message, its status, the field it is about).
 */

/** Which request-form field a refusal is about (its message is tied to that field). */
const FIELD_OF: Readonly<Record<string, FieldName>> = {
  unknown_role: 'role',
  not_eligible: 'role',
  bad_duration: 'duration',
  bad_reason: 'reason',
  mfa_required: 'code',
};

const CODE_REFUSED =
  'That code was not accepted. Enter a current code from your authenticator app, or a recovery code.';

/**
 * POST action=request: files it. For a self-approved role that requires MFA, a code given
 * with it is checked first and, when good, counts as a second factor proved now; a wrong
 * code still goes to the service without one, so the refusal is audited there like any.
 */
async function requestAction(deps: AccessDeps, ctx: Ctx, p: Person): Promise<string | PageState> {
  const body = ctx.request.body;
  const form = {
    role: field(body, 'role'),
    duration: field(body, 'duration').trim(),
    reason: field(body, 'reason'),
  };
  const role = deps.elevations.rolesFor(p.elevation).find((r) => r.name === form.role);
  const code = role?.approval === 'self' && role.requireMFA ? field(body, 'code').trim() : '';
  const good = code !== '' && (await deps.mfa.verifyCode(p.mfa, code)).ok;
  try {
    const factorAt = good ? nowOf(deps) : undefined;
    const e = await deps.elevations.request({ ...p.elevation, factorAt }, form);
    return e.state === 'active' ? 'granted' : 'requested';
  } catch (err) {
    const reason = isElevationRefused(err) ? err.reason : undefined;
    const page = { ...refused(err), field: reason && FIELD_OF[reason], form };
    return code !== '' && !good && reason === 'mfa_required'
      ? { ...page, error: CODE_REFUSED }
      : page;
  }
}

/** An exposed AppError (a refusal, or input storage cannot take) as page state; else rethrown. */
function refused(err: unknown): PageState {
  if (isAppError(err) && err.expose) return { status: err.status, error: err.message };
  throw err;
}

type Decision = 'approve' | 'deny' | 'end';

const DONE: Readonly<Record<Decision, (e: Elevation) => string>> = {
  approve: () => 'approved',
  deny: () => 'denied',
  end: (e) => (e.state === 'ended' && e.startsAt === undefined ? 'withdrawn' : 'ended'),
};

/** POST action=approve|deny|end on one request (`id`), with an optional comment. */
function decisionAction(which: Decision) {
  return async (deps: AccessDeps, ctx: Ctx, p: Person): Promise<string | PageState> => {
    const body = ctx.request.body;
    const id = field(body, 'id');
    const comment = field(body, 'comment').trim();
    const note = comment === '' ? undefined : comment;
    try {
      const e = await deps.elevations[which](id, p.elevation, note);
      return DONE[which](e);
    } catch (err) {
      const about = isElevationRefused(err) && err.reason === 'bad_reason';
      return { ...refused(err), ...(about ? { commentFor: id } : {}) };
    }
  };
}

export type Action = (deps: AccessDeps, ctx: Ctx, p: Person) => Promise<string | PageState>;

/** The form's `action` values (a Map: `__proto__` or `constructor` are not actions). */
export const ACTIONS: ReadonlyMap<string, Action> = new Map([
  ['request', requestAction],
  ['approve', decisionAction('approve')],
  ['deny', decisionAction('deny')],
  ['end', decisionAction('end')],
]);
