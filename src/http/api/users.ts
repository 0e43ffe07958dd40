import { listSeenUsers } from '../../storage/index.js';
import { requireAdmin, type ApiContext } from './auth.js';
import type { ApiDeps, ApiRouter } from './context.js';
import { cursor, DEFAULT_PAGE, limit, page, parseQuery, text } from './query.js';

/** People sigil has seen (sub, username, connector, last login), by sub. Admin call. */
export function userRoutes(router: ApiRouter, deps: ApiDeps): void {
  router.get('/users', requireAdmin(deps.admin), async (ctx: ApiContext) => {
    const q = parseQuery(ctx, { user: text().optional(), limit, cursor });
    const size = q.limit ?? DEFAULT_PAGE;
    const users = await listSeenUsers(deps.db, { username: q.user, limit: size, after: q.cursor });
    ctx.body = page(
      users.map((u) => ({
        sub: u.sub,
        username: u.username,
        connector: u.connectorId,
        ...(u.lastLogin === undefined ? {} : { lastLogin: u.lastLogin.toISOString() }),
      })),
      size,
      (u) => u.sub,
    );
  });
}
