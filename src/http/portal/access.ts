import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import {
  MAX_REASON_LENGTH,
  type Elevation,
  type ElevationActor,
  type ElevationPerson,
} from '../../security/index.js';
import { paths, renderErrorPage, type SigilState } from '../shared/index.js';
import { formToken, formTokenMatches } from './form-token.js';
import { ACTIONS } from './access-actions.js';
import {
  field,
  nowOf,
  type AccessDeps,
  type Ctx,
  type Handler,
  type PageState,
  type Person,
} from './access-types.js';
import { elevationView, roleView } from './access-view.js';

export type { AccessDeps, StoredPerson } from './access-types.js';

/** Longest comment the form offers (the service checks it, like the reason). */
const COMMENT_MAX = MAX_REASON_LENGTH;

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
    csrf: formToken(deps.csrfSecret, 'home-access', sub, session.exp),
  };
}

/**
 * The CSRF token of the form matches the person's; else a 403 page, nothing done, and the
 * refusal audited like the service's own (`elevation.refused`, reason `csrf`).
 */
async function verified(ctx: Ctx, deps: AccessDeps, p: Person): Promise<boolean> {
  if (formTokenMatches(p.csrf, field(ctx.request.body, 'csrf'))) return true;
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

/**
 * /home/access: just-in-time elevation for the signed-in person (issue 16). They ask for a
 * role they are eligible for (duration, reason, and a fresh code when they approve it
 * themselves), see their requests and end or withdraw them; approvers decide what waits for
 * them. Every form carries a CSRF token bound to the person and their web session. The
 * service (security/elevation) decides and audits; a refusal comes back as a readable
 * message on this page with its status, never a grant and never a 500.
 */
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
