import { z } from 'zod';
import { sessionJson } from '../../security/index.js';
import { actorOf, requireAdmin, type ApiContext } from './auth.js';
import type { ApiDeps, ApiRouter } from './context.js';
import { Problem } from './problem.js';
import { cursor, DEFAULT_PAGE, limit, page, parseBody, parseQuery, text } from './query.js';

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;
const reason = z
  .string()
  .regex(/^[a-z0-9_.-]{1,64}$/, { error: 'a short slug (a-z, 0-9, _ . -)' })
  .optional();

function sessionIdParam(ctx: ApiContext): string {
  const id = (ctx as { params?: Record<string, string> }).params?.['id'] ?? '';
  if (!SESSION_ID.test(id)) throw new Problem('not-found', 'no session has that id');
  return id;
}

/**
 * Sessions: list (by user, client), show one, end one (`DELETE /sessions/{id}`), end all of a
 * person (`POST /sessions/revoke`). Admin calls; every ending goes through the one
 * SessionService.endSessions.
 */
export function sessionRoutes(router: ApiRouter, deps: ApiDeps): void {
  const admin = requireAdmin(deps.admin);
  const { sessions } = deps;

  router.get('/sessions', admin, async (ctx: ApiContext) => {
    const q = parseQuery(ctx, {
      user: text().optional(),
      sub: text().optional(),
      client: text(200).optional(),
      active: z.enum(['true', 'false']).optional(),
      limit,
      cursor,
    });
    const size = q.limit ?? DEFAULT_PAGE;
    const list = await sessions.list({
      username: q.user,
      sub: q.sub,
      clientId: q.client,
      activeOnly: q.active !== 'false',
      limit: size,
      after: q.cursor,
    });
    ctx.body = page(
      list.map((s) => sessionJson(s)),
      size,
      (s) => s.id,
    );
  });

  router.get('/sessions/:id', admin, async (ctx: ApiContext) => {
    const found = await sessions.get(sessionIdParam(ctx));
    if (found === undefined) throw new Problem('not-found', 'no session has that id');
    ctx.body = sessionJson(found);
  });

  revokeRoutes(router, deps);
}

/** DELETE /sessions/{id} and POST /sessions/revoke: the endings. */
function revokeRoutes(router: ApiRouter, deps: ApiDeps): void {
  const admin = requireAdmin(deps.admin);
  const { sessions } = deps;
  router.delete('/sessions/:id', admin, async (ctx: ApiContext) => {
    const id = sessionIdParam(ctx);
    const principal = ctx.state.principal;
    if (principal === undefined) throw new Problem('unauthenticated');
    const r = await sessions.endSessions(
      { kind: 'one', id },
      { actor: actorOf(principal), reason: 'admin_api' },
    );
    const ended = r.ended[0];
    if (ended === undefined)
      throw new Problem(
        'not-found',
        'no active session has that id (unknown, expired or already ended)',
      );
    ctx.body = {
      ended: [sessionJson(ended)],
      browserSessions: r.browserSessions,
      deviceCodes: r.deviceCodes,
    };
  });

  router.post('/sessions/revoke', admin, async (ctx: ApiContext) => {
    const b = parseBody(ctx, {
      user: text().optional(),
      sub: text().optional(),
      client: text(200).optional(),
      reason,
    });
    if ((b.user === undefined) === (b.sub === undefined))
      throw new Problem('bad-request', 'name the person by exactly one of `user` or `sub`');
    const principal = ctx.state.principal;
    if (principal === undefined) throw new Problem('unauthenticated');
    const r = await sessions.endSessions(
      {
        kind: 'user',
        ...(b.sub === undefined ? {} : { sub: b.sub }),
        ...(b.user === undefined ? {} : { username: b.user }),
        clientId: b.client,
      },
      { actor: actorOf(principal), reason: b.reason ?? 'offboarded' },
    );
    if (r.subs.length === 0) throw new Problem('not-found', 'sigil has never seen that person');
    ctx.body = {
      subs: r.subs,
      ended: r.ended.map((s) => sessionJson(s)),
      browserSessions: r.browserSessions,
      deviceCodes: r.deviceCodes,
    };
  });
}
