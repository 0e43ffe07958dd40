import type { Middleware, ParameterizedContext } from 'koa';
import { paths } from '../shared/index.js';

/** Token-endpoint-like routes where a client authenticates. */
const CLIENT_AUTH_PATHS = new Set<string>([
  paths.token,
  paths.deviceAuth,
  paths.revocation,
  paths.introspection,
]);

function readBody(req: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('too large'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/**
 * Public clients sending `Authorization: Basic base64(client_id + ':')` (an empty secret).
 * oidc-agent does it on every request; Go's golang.org/x/oauth2 (kubelogin) tries it first and
 * falls back to form parameters, so every token call costs two round trips; Dex accepts it.
 * oidc-provider refuses it ("client_secret must be provided"). For a configured public client
 * only, this turns the header into what it means: `client_id` in the form, no client
 * authentication. oidc-provider then reads the rewritten body from `req.body` (its documented
 * fallback for an already-read body). Anything else passes through untouched.
 */
export function publicClientBasicAuth(
  publicClients: ReadonlySet<string>,
  limit: number,
): Middleware {
  return async (ctx, next) => {
    const clientId = emptySecretPublicClient(ctx, publicClients);
    if (clientId !== undefined) {
      let raw: Buffer;
      try {
        raw = await readBody(ctx.req, limit);
      } catch {
        ctx.status = 413;
        ctx.body = { error: 'invalid_request', error_description: 'request body too large' };
        return;
      }
      const form = new URLSearchParams(raw.toString('utf8'));
      const given = form.get('client_id');
      if (given !== null && given !== clientId) {
        ctx.status = 400;
        ctx.body = {
          error: 'invalid_request',
          error_description: 'client_id does not match the Authorization header',
        };
        return;
      }
      form.set('client_id', clientId);
      const body = form.toString();
      delete ctx.req.headers.authorization;
      ctx.req.headers['content-length'] = String(Buffer.byteLength(body));
      (ctx.req as unknown as { body: string }).body = body;
    }
    await next();
  };
}

/**
 * The configured public client a form POST to a client-authentication route names with
 * `Authorization: Basic base64(client_id + ':')`; undefined for any other request.
 */
function emptySecretPublicClient(
  ctx: ParameterizedContext,
  publicClients: ReadonlySet<string>,
): string | undefined {
  const header = ctx.get('authorization');
  if (ctx.method !== 'POST' || !CLIENT_AUTH_PATHS.has(ctx.path) || !/^basic /i.test(header))
    return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1 || colon !== decoded.length - 1) return undefined;
  let clientId: string;
  try {
    clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
  if (!publicClients.has(clientId) || !ctx.is('application/x-www-form-urlencoded'))
    return undefined;
  return clientId;
}
