import { ADMIN_SCOPE } from '../../config/index.js';
import { anyOf } from '../../lib/index.js';
import type { ApiContext } from './auth.js';
import type { ApiDeps, ApiRouter } from './context.js';
import { Problem } from './problem.js';

/** GET /whoami: the caller as the API resolved its token (any principal). */
export function whoamiRoutes(router: ApiRouter, deps: ApiDeps): void {
  const adminGroup = anyOf(deps.admin.groups);
  router.get('/whoami', (ctx: ApiContext) => {
    const p = ctx.state.principal;
    if (p === undefined) throw new Problem('unauthenticated', 'this call needs a bearer token');
    const scopes = p.kind === 'cluster' ? [] : [...p.scopes].sort();
    const hasScope = scopes.includes(ADMIN_SCOPE);
    switch (p.kind) {
      case 'person':
        ctx.body = {
          kind: p.kind,
          sub: p.sub,
          username: p.username,
          clientId: p.clientId,
          scopes,
          admin: hasScope && p.groups.some(adminGroup),
        };
        break;
      case 'client':
        ctx.body = {
          kind: p.kind,
          clientId: p.clientId,
          scopes,
          admin: hasScope && deps.admin.clients.includes(p.clientId),
        };
        break;
      case 'cluster':
        ctx.body = { kind: p.kind, name: p.name };
        break;
    }
  });
}
