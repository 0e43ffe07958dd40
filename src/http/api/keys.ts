import { z } from 'zod';
import { listKeys, maintainKeys, revokeKey, type KeyInfo } from '../../keys/index.js';
import { actorOf, requireAdmin, type ApiContext } from './auth.js';
import type { ApiDeps, ApiRouter } from './context.js';
import { Problem } from './problem.js';
import { parseBody } from './query.js';

const KID = /^[A-Za-z0-9_.-]{1,128}$/;

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());

function keyJson(k: KeyInfo) {
  return {
    kid: k.kid,
    alg: k.alg,
    state: k.state,
    encrypted: k.encrypted,
    published: k.published,
    created: iso(k.createdAt),
    activated: iso(k.activatedAt),
    retired: iso(k.retiredAt),
    removeAfter: iso(k.removeAfter),
  };
}

/** Signing keys: list, rotate, revoke (the same code as `sigil keys`). Admin calls. */
export function keyRoutes(router: ApiRouter, deps: ApiDeps): void {
  const admin = requireAdmin(deps.admin);
  const { policy, sealer, onEvent } = deps.keys;

  router.get('/keys', admin, async (ctx: ApiContext) => {
    ctx.body = { items: (await listKeys(deps.db)).map(keyJson) };
  });

  router.post('/keys/rotate', admin, async (ctx: ApiContext) => {
    const b = parseBody(ctx, { now: z.boolean().optional() });
    const actor = ctx.state.principal === undefined ? undefined : actorOf(ctx.state.principal);
    const r = await maintainKeys(deps.db, sealer, policy, {
      force: b.now ?? false,
      wait: true,
      onEvent: (e) => {
        onEvent({ ...e, ...(actor === undefined ? {} : { actor }) });
      },
    });
    ctx.body = {
      rotated: r.activated !== undefined,
      ...(r.activated === undefined ? {} : { activated: r.activated }),
      ...(r.retired === undefined ? {} : { retired: r.retired }),
      created: r.created,
      removed: r.removed,
      ...(r.dueInMs === undefined ? {} : { dueInSeconds: Math.ceil(r.dueInMs / 1000) }),
    };
  });

  router.post('/keys/:kid/revoke', admin, async (ctx: ApiContext) => {
    const kid = (ctx as { params?: Record<string, string> }).params?.['kid'] ?? '';
    if (!KID.test(kid)) throw new Problem('not-found', 'no signing key has that key id');
    parseBody(ctx, {});
    const actor = ctx.state.principal === undefined ? undefined : actorOf(ctx.state.principal);
    const r = await revokeKey(deps.db, sealer, policy, kid, {
      onEvent: (e) => {
        onEvent({ ...e, ...(actor === undefined ? {} : { actor }) });
      },
    });
    ctx.body = {
      kid: r.kid,
      previousState: r.previousState,
      ...(r.activated === undefined ? {} : { activated: r.activated }),
      grantsRevoked: r.grantsRevoked,
      sessionsEnded: r.sessionsEnded,
    };
  });
}
