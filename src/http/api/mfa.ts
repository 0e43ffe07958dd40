import { findIdentity } from '../../storage/index.js';
import { actorOf, requireAdmin, type ApiContext } from './auth.js';
import type { ApiDeps, ApiRouter } from './context.js';
import { Problem } from './problem.js';
import { text } from './query.js';

/** A person the API names by `sub` in the path: known to sigil, or a 404 problem. */
async function personOf(ctx: ApiContext, deps: ApiDeps) {
  const raw = (ctx as { params?: Record<string, string> }).params?.['sub'] ?? '';
  const sub = text().safeParse(raw);
  if (!sub.success) throw new Problem('not-found', 'sigil has never seen that person');
  const stored = await findIdentity(deps.db, sub.data);
  if (stored === undefined) throw new Problem('not-found', 'sigil has never seen that person');
  const username = stored.identity['username'];
  return {
    sub: stored.sub,
    connectorId: stored.connectorId,
    username: typeof username === 'string' ? username : stored.sub,
  };
}

/**
 * A person's second factors: what they have (kinds, names, dates; never a secret) and the
 * reset for a lost phone, the same resetMfa as `sigil mfa reset`, audited `mfa.reset` with the
 * caller as the actor. Admin calls.
 */
export function mfaRoutes(router: ApiRouter, deps: ApiDeps): void {
  const admin = requireAdmin(deps.admin);

  router.get('/users/:sub/mfa', admin, async (ctx: ApiContext) => {
    const who = await personOf(ctx, deps);
    const factors = await deps.mfa.factors(who);
    ctx.body = {
      sub: who.sub,
      username: who.username,
      connector: who.connectorId,
      factors: factors.map((f) => ({
        id: f.id,
        kind: f.kind,
        name: f.name,
        createdAt: f.createdAt.toISOString(),
        ...(f.lastUsedAt === undefined ? {} : { lastUsedAt: f.lastUsedAt.toISOString() }),
      })),
      recoveryCodesLeft: await deps.mfa.unusedRecoveryCodes(who),
    };
  });

  router.delete('/users/:sub/mfa', admin, async (ctx: ApiContext) => {
    const who = await personOf(ctx, deps);
    const principal = ctx.state.principal;
    if (principal === undefined) throw new Problem('unauthenticated');
    const r = await deps.mfa.reset(who, actorOf(principal));
    ctx.body = { sub: who.sub, username: who.username, removed: r };
  });
}
