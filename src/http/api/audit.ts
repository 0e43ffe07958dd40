import { z } from 'zod';
import { queryAuditEvents } from '../../storage/index.js';
import { requireAdmin, type ApiContext } from './auth.js';
import type { ApiDeps, ApiRouter } from './context.js';
import { cursor, DEFAULT_PAGE, limit, page, parseQuery, text } from './query.js';

const time = z.iso.datetime({ offset: true, error: 'an RFC 3339 time (2026-11-28T10:00:00Z)' });

/** The audit trail with the filters of `sigil audit`, newest first, paged. Admin call. */
export function auditRoutes(router: ApiRouter, deps: ApiDeps): void {
  router.get('/audit', requireAdmin(deps.admin), async (ctx: ApiContext) => {
    const q = parseQuery(ctx, {
      user: text().optional(),
      client: text(200).optional(),
      event: text(64).optional(),
      outcome: z.enum(['success', 'failure', 'locked', 'denied']).optional(),
      since: time.optional(),
      until: time.optional(),
      limit,
      cursor: cursor.refine((c) => c === undefined || /^[0-9]{1,19}$/.test(c), {
        error: 'not a cursor this API returned',
      }),
    });
    const size = q.limit ?? DEFAULT_PAGE;
    // Rows are written in batches: what this replica has queued is written first, so a caller
    // reads the trail of its own calls at once.
    await deps.audit.flush();
    const records = await queryAuditEvents(deps.db, {
      username: q.user,
      clientId: q.client,
      event: q.event,
      outcome: q.outcome,
      since: q.since === undefined ? undefined : new Date(q.since),
      until: q.until === undefined ? undefined : new Date(q.until),
      beforeId: q.cursor,
      limit: size,
    });
    // queryAuditEvents answers oldest first (for the CLI); the API pages newest first.
    const items = records.reverse().map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      event: r.event,
      outcome: r.outcome,
      ...(r.username === undefined ? {} : { username: r.username }),
      ...(r.sub === undefined ? {} : { sub: r.sub }),
      ...(r.clientId === undefined ? {} : { clientId: r.clientId }),
      ...(r.ip === undefined ? {} : { ip: r.ip }),
      ...(r.reason === undefined ? {} : { reason: r.reason }),
      details: r.details,
    }));
    ctx.body = page(items, size, (r) => r.id);
  });
}
