import { z } from 'zod';
import { ADMIN_SCOPE } from '../../config/index.js';
import type { Elevation, ElevationPerson, Elevations } from '../../security/index.js';
import { mfaLoginTime } from '../../storage/index.js';
import type { ApiContext } from './auth.js';
import type { ApiDeps, ApiRouter } from './context.js';
import { Problem } from './problem.js';
import { cursor, DEFAULT_PAGE, limit, page, parseBody, parseQuery, text } from './query.js';

const STATES = ['pending', 'active', 'denied', 'expired', 'ended'] as const;

/** An elevation as the API shows it: times in RFC 3339, absent fields left out. */
export function elevationJson(e: Elevation): Record<string, unknown> {
  const t = (d: Date | undefined) => d?.toISOString();
  const out: Record<string, unknown> = {
    id: e.id,
    state: e.state,
    user: e.username,
    sub: e.sub,
    role: e.role,
    group: e.group,
    clusters: e.clusters,
    reason: e.reason,
    durationSec: e.durationSec,
    requested: t(e.requestedAt),
    pendingUntil: t(e.pendingUntil),
    decided: t(e.decidedAt),
    decidedBy: e.decidedBy,
    comment: e.comment,
    starts: t(e.startsAt),
    ends: t(e.endsAt),
    ended: t(e.endedAt),
    endedBy: e.endedBy,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

/**
 * Who acts: a person (their own access token, through any client; their factor time is the
 * start of their login when it passed a second factor), or an admin.clients client with the
 * admin scope (lists and ends only). Anyone else: 401/403.
 */
async function actor(ctx: ApiContext, deps: ApiDeps, person = false): Promise<ElevationPerson> {
  const p = ctx.state.principal;
  if (p === undefined) throw new Problem('unauthenticated', 'this call needs a bearer token');
  if (p.kind === 'person') {
    const factorAt =
      person && p.grantId !== undefined ? await mfaLoginTime(deps.db, p.grantId) : undefined;
    return { sub: p.sub, username: p.username, groups: p.groups, factorAt, kind: 'person' };
  }
  if (
    !person &&
    p.kind === 'client' &&
    p.scopes.has(ADMIN_SCOPE) &&
    deps.admin.clients.includes(p.clientId)
  )
    return { sub: `client:${p.clientId}`, username: p.clientId, groups: [], kind: 'client' };
  throw new Problem(
    'forbidden',
    person
      ? 'this call needs a person’s own access token'
      : 'this call needs a person’s access token or an admin client’s',
  );
}

function idParam(ctx: ApiContext): string {
  return (ctx as { params?: Record<string, string> }).params?.['id'] ?? '';
}

const comment = { comment: z.string().max(100_000).optional() };

/**
 * Just-in-time elevation (issue 16): ask for a role, approve or deny, end, list. Every
 * decision goes through the Elevations service, which refuses (ELEVATION_REFUSED: a problem
 * with `reason`) and audits; the API adds only who the caller is.
 */
export function elevationRoutes(router: ApiRouter, deps: ApiDeps): void {
  const svc = deps.elevations;
  if (svc === undefined) return;

  router.get('/elevations/roles', async (ctx: ApiContext) => {
    const me = await actor(ctx, deps, true);
    ctx.body = { items: svc.rolesFor(me).map((r) => ({ ...r })) };
  });

  router.post('/elevations', async (ctx: ApiContext) => {
    const me = await actor(ctx, deps, true);
    // Lengths are the service's to refuse (audited), within the body limit.
    const b = parseBody(ctx, {
      role: z.string().max(10_000),
      duration: z.union([z.string().max(10_000), z.number()]),
      reason: z.string().max(100_000),
    });
    const e = await svc.request(me, b);
    ctx.status = 201;
    ctx.set('Location', `${ctx.path}/${e.id}`);
    ctx.body = elevationJson(e);
  });

  router.get('/elevations', async (ctx: ApiContext) => {
    const me = await actor(ctx, deps);
    const q = parseQuery(ctx, {
      state: z.enum(STATES).optional(),
      user: text().optional(),
      limit,
      cursor,
    });
    const size = q.limit ?? DEFAULT_PAGE;
    const all = svc.seesAll(me);
    const list = await svc.list({
      // Others' requests only for approvers and admins; `user` narrows, never widens.
      ...(all ? { username: q.user } : { sub: me.sub, username: q.user }),
      states: q.state === undefined ? undefined : [q.state],
      limit: size,
      after: q.cursor,
    });
    ctx.body = page(list.map(elevationJson), size, (e) => String(e['id']));
  });

  router.get('/elevations/:id', async (ctx: ApiContext) => {
    const found = await svc.get(idParam(ctx), await actor(ctx, deps));
    if (found === undefined) throw new Problem('not-found', 'no elevation request has that id');
    ctx.body = elevationJson(found);
  });

  decisionRoutes(router, deps, svc);
}

/** POST /elevations/{id}/approve, /deny (a person) and /end (a person or an admin client). */
function decisionRoutes(router: ApiRouter, deps: ApiDeps, svc: Elevations): void {
  for (const op of ['approve', 'deny'] as const)
    router.post(`/elevations/:id/${op}`, async (ctx: ApiContext) => {
      const me = await actor(ctx, deps, true);
      const b = hasBody(ctx) ? parseBody(ctx, comment) : {};
      ctx.body = elevationJson(await svc[op](idParam(ctx), me, b.comment));
    });
  router.post('/elevations/:id/end', async (ctx: ApiContext) => {
    const me = await actor(ctx, deps);
    const b = hasBody(ctx) ? parseBody(ctx, comment) : {};
    ctx.body = elevationJson(await svc.end(idParam(ctx), me, b.comment));
  });
}

function hasBody(ctx: ApiContext): boolean {
  return (ctx.request as { body?: unknown }).body !== undefined && ctx.request.length > 0;
}
