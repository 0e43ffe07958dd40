import { createHmac, timingSafeEqual } from 'node:crypto';
import { bodyParser } from '@koa/bodyparser';
import Router, { type RouterMiddleware } from '@koa/router';
import { isAppError } from '../../errors.js';
import {
  isElevationRefused,
  MAX_REASON_LENGTH,
  normaliseTotpCode,
  type Audit,
  type Elevation,
  type ElevationActor,
  type ElevationPerson,
  type Elevations,
  type MfaAttempt,
  type MfaService,
} from '../../security/index.js';
import { paths, renderErrorPage, type SigilState, type Views } from '../shared/index.js';
import { elevationView, roleView } from './access-view.js';
import type { SelfLogin } from './self-login.js';

/**
 * /home/access: just-in-time elevation for the signed-in person (issue 16). They ask for a
 * role they are eligible for (duration, reason, and a fresh code when they approve it
 * themselves), see their requests and end or withdraw them; approvers decide what waits for
 * them. Every form carries a CSRF token bound to the person and their web session. The
 * service (security/elevation) decides and audits; a refusal comes back as a readable
 * message on this page with its status, never a grant and never a 500.
 */
export interface AccessDeps {
  readonly views: Views;
  readonly login: SelfLogin;
  readonly elevations: Elevations;
  /** The configured roles' names (elevation.roles): whose requests a person may decide. */
  readonly roleNames: readonly string[];
  /** Checks the code of a self-approval (the same service /home/security uses). */
  readonly mfa: MfaService;
  /** The person as sigil last saw them (identities table): connector, username, groups. */
  readonly personOf: (sub: string) => Promise<StoredPerson | undefined>;
  readonly csrfSecret: string;
  /** Records the refusals this page makes itself (a form without its CSRF token). */
  readonly audit: Audit;
  readonly maxBodyBytes: number;
  /** Lifetime of id_tokens, seconds: a cached token is replaced by then anyway. */
  readonly idTokenTtlSec: number;
  readonly now?: () => Date;
}

export interface StoredPerson {
  readonly connectorId: string;
  readonly username: string;
  readonly groups: readonly string[];
}

type Handler = RouterMiddleware<SigilState>;
type Ctx = Parameters<Handler>[0];

interface Person {
  readonly elevation: ElevationPerson;
  readonly mfa: MfaAttempt;
  readonly csrf: string;
}

/** The request form's fields, as sent (shown again after a refusal). */
interface RequestForm {
  readonly role: string;
  readonly duration: string;
  readonly reason: string;
}

type FieldName = 'role' | 'duration' | 'reason' | 'code';

export interface PageState {
  readonly status?: number;
  readonly error?: string;
  /** The request form field the error is about. */
  readonly field?: FieldName | undefined;
  readonly form?: RequestForm;
  /** A decision's comment was refused: the request whose comment field the error is about. */
  readonly commentFor?: string;
}

/** Longest comment the form offers (the service checks it, like the reason). */
const COMMENT_MAX = MAX_REASON_LENGTH;

const field = (body: unknown, name: string): string => {
  if (body === null || typeof body !== 'object') return '';
  const v = (body as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : '';
};

const nowOf = (deps: AccessDeps): Date => deps.now?.() ?? new Date();

function csrfFor(secret: string, sub: string, exp: number): string {
  return createHmac('sha256', secret).update(`home-access:${sub}:${exp}`).digest('base64url');
}

/** The signed-in person, or undefined after sending them to sign in. */
async function person(deps: AccessDeps, ctx: Ctx): Promise<Person | undefined> {
  const session = await deps.login.session(ctx);
  const sub = session?.claims['sub'];
  const stored = typeof sub === 'string' ? await deps.personOf(sub) : undefined;
  if (session === undefined || typeof sub !== 'string' || stored === undefined) {
    deps.login.start(ctx, paths.homeAccess);
    return undefined;
  }
  return {
    elevation: { sub, username: stored.username, groups: stored.groups },
    mfa: {
      sub,
      connectorId: stored.connectorId,
      username: stored.username,
      ip: ctx.ip,
      clientId: deps.login.clientId,
      channel: 'portal',
    },
    csrf: csrfFor(deps.csrfSecret, sub, session.exp),
  };
}

/**
 * The CSRF token of the form matches the person's; else a 403 page, nothing done, and the
 * refusal audited like the service's own (`elevation.refused`, reason `csrf`).
 */
async function verified(ctx: Ctx, deps: AccessDeps, p: Person): Promise<boolean> {
  const given = Buffer.from(field(ctx.request.body, 'csrf'));
  const want = Buffer.from(p.csrf);
  if (given.length === want.length && timingSafeEqual(given, want)) return true;
  await deps.audit.record({
    event: 'elevation.refused',
    outcome: 'denied',
    reason: 'csrf',
    sub: p.elevation.sub,
    username: p.elevation.username,
    clientId: deps.login.clientId,
    ip: ctx.ip,
    details: {
      action: field(ctx.request.body, 'action').slice(0, 32),
      actor: { kind: 'person', id: p.elevation.sub },
    },
  });
  renderErrorPage(
    ctx,
    deps.views,
    403,
    'Form expired',
    'The form could not be verified: it has expired or was not sent from your access page. Open the page again and retry.',
    'csrf',
  );
  return false;
}

/**
 * The name the page shows for who decided or ended a request: "you", a person's username
 * (the identities table), or what kind of actor it was.
 */
async function namer(
  deps: AccessDeps,
  me: ElevationPerson,
  lists: readonly Elevation[],
): Promise<(a: ElevationActor) => string> {
  const known = new Map<string, string>([[me.sub, 'you']]);
  for (const e of lists) if (!known.has(e.sub)) known.set(e.sub, e.username);
  const ids = new Set(
    lists
      .flatMap((e) => [e.decidedBy, e.endedBy])
      .filter((a) => a?.kind === 'person' && !known.has(a.id))
      .map((a) => a?.id ?? ''),
  );
  for (const id of [...ids].slice(0, 50))
    known.set(id, (await deps.personOf(id))?.username ?? 'someone');
  return (a) => {
    if (a.kind === 'person') return known.get(a.id) ?? 'someone';
    return a.kind === 'system'
      ? 'sigil (time up)'
      : `an ${a.kind === 'operator' ? 'operator' : 'administrator'}`;
  };
}

/** What a `?done=` after a successful post says (a Map: no inherited keys like `constructor`). */
const NOTICES: ReadonlyMap<string, string> = new Map(
  Object.entries({
    requested:
      'Your request is filed. It waits for an approver; this page shows when it is decided.',
    granted: 'Access granted. See below how to use it now.',
    approved: 'Approved. The requester has the role now.',
    denied: 'Denied. The requester sees it on their page.',
    ended: 'Ended. Tokens issued from now on no longer carry the role.',
    withdrawn: 'Your request is withdrawn.',
  }),
);

async function render(deps: AccessDeps, ctx: Ctx, p: Person, s: PageState = {}): Promise<void> {
  const me = p.elevation;
  const now = nowOf(deps);
  const eligible = deps.elevations.rolesFor(me);
  const roles = eligible.map(roleView);
  const decides = decidesAny(deps, me);
  const [mine, waiting] = await Promise.all([
    deps.elevations.list({ sub: me.sub, limit: 50 }),
    decides ? deps.elevations.pendingFor(me) : Promise.resolve([]),
  ]);
  const names = await namer(deps, me, [...mine, ...waiting]);
  const requests = mine.map((e) => elevationView(e, now, names));
  const codeRoles = roles.filter((r) => r.needsCode).map((r) => r.name);
  // Roles whose group only tokens of a sign-in with a second factor carry (requireMFA).
  const mfaRoles = new Set(eligible.filter((r) => r.requireMFA).map((r) => r.name));
  const hasFactor = codeRoles.length > 0 && (await deps.mfa.factors(p.mfa)).length > 0;
  const done = ctx.query['done'];
  const notice = typeof done === 'string' ? NOTICES.get(done) : undefined;
  ctx.set('Cache-Control', 'no-store');
  ctx.status = s.status ?? 200;
  ctx.type = 'html';
  ctx.body = deps.views.page('access', 'Request access', {
    csrf: p.csrf,
    username: me.username,
    roles,
    codeRoles,
    hasFactor,
    decides,
    requests,
    active: requests
      .filter((r) => r.state === 'active')
      .map((r) => ({ ...r, mfaLogin: mfaRoles.has(r.role) })),
    waiting: waiting.map((e) => elevationView(e, now, names)),
    idTokenTtl: Math.max(1, Math.round(deps.idTokenTtlSec / 60)),
    notice: s.error === undefined ? notice : undefined,
    error: s.error,
    field: s.field,
    commentFor: s.commentFor,
    form: s.form ?? { role: roles[0]?.name ?? '', duration: '', reason: '' },
    reasonMax: MAX_REASON_LENGTH,
    commentMax: COMMENT_MAX,
  });
}

/** Whether `me` approves requests for some role (the page then lists what waits for them). */
export function decidesAny(
  deps: Pick<AccessDeps, 'elevations' | 'roleNames'>,
  me: ElevationPerson,
): boolean {
  return deps.roleNames.some((r) => deps.elevations.mayApprove(me, r));
}

/** A fresh second factor from the form: a TOTP code, else a recovery code. */
async function freshFactor(deps: AccessDeps, p: Person, code: string): Promise<boolean> {
  const r =
    normaliseTotpCode(code) === undefined
      ? await deps.mfa.verifyRecoveryCode(p.mfa, code)
      : await deps.mfa.verifyTotp(p.mfa, code);
  return r.ok;
}

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
  const good = code !== '' && (await freshFactor(deps, p, code));
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

type Action = (deps: AccessDeps, ctx: Ctx, p: Person) => Promise<string | PageState>;

/** The form's `action` values (a Map: `__proto__` or `constructor` are not actions). */
const ACTIONS: ReadonlyMap<string, Action> = new Map([
  ['request', requestAction],
  ['approve', decisionAction('approve')],
  ['deny', decisionAction('deny')],
  ['end', decisionAction('end')],
]);

function postAccess(deps: AccessDeps): Handler {
  return async (ctx) => {
    const p = await person(deps, ctx);
    if (p === undefined || !(await verified(ctx, deps, p))) return;
    const action = ACTIONS.get(field(ctx.request.body, 'action'));
    if (action === undefined) {
      await render(deps, ctx, p, { status: 400, error: 'Unknown action.' });
      return;
    }
    const out = await action(deps, ctx, p);
    if (typeof out === 'string') {
      ctx.status = 303;
      // The page as the browser asked for it (under the issuer's path, if it has one).
      ctx.redirect(`${new URL(ctx.originalUrl, 'http://x').pathname}?done=${out}`);
      return;
    }
    await render(deps, ctx, p, out);
  };
}

export function accessRoutes(deps: AccessDeps): Router<SigilState> {
  const router = new Router<SigilState>();
  const form: Handler = bodyParser({
    enableTypes: ['form'],
    formLimit: `${deps.maxBodyBytes}b`,
    encoding: 'utf-8',
  });
  router.get(paths.homeAccess, async (ctx) => {
    const p = await person(deps, ctx);
    if (p !== undefined) await render(deps, ctx, p);
  });
  router.post(paths.homeAccess, form, postAccess(deps));
  return router;
}
