import { problemResponses, problemSchema, type OpenApiObject, type OpenApiPart } from './common.js';
import { auditApi } from './audit.js';
import { clustersApi } from './clusters.js';
import { elevationsApi } from './elevations.js';
import { keysApi } from './keys.js';
import { sessionsApi } from './sessions.js';
import { usersApi } from './users.js';
import { whoamiApi } from './whoami.js';

export { renderApiReference } from './markdown.js';
export {
  ADMIN_SECURITY,
  json,
  pageOf,
  problems,
  ref,
  type OpenApiObject,
  type OpenApiPart,
} from './common.js';

/** Every resource's part of the document, in the order docs/api.md lists them. */
export const API_PARTS: readonly OpenApiPart[] = [
  sessionsApi,
  usersApi,
  keysApi,
  auditApi,
  clustersApi,
  elevationsApi,
  whoamiApi,
];

/**
 * The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`; docs/api.md is
 * generated from it and the tests check every answer against it. `server` is the API's base
 * URL (the issuer + `/api/v1`).
 */
export function openApiDocument(server: string, parts = API_PARTS): OpenApiObject {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = { Problem: problemSchema };
  for (const part of parts) {
    Object.assign(paths, part.paths);
    Object.assign(schemas, part.schemas);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'sigil admin API',
      version: '1',
      description:
        'Sessions, people, signing keys, elevation requests and the audit trail of one sigil. Authenticate with a bearer access token that this sigil issued: admin calls need the `sigil:admin` scope, granted only to people in `admin.groups` or, through the client credentials grant, to `admin.clients`. Errors are RFC 9457 problem documents.',
    },
    servers: [{ url: server }],
    tags: parts.map((p) => p.tag),
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An access token issued by this sigil (opaque).',
        },
      },
      schemas,
      responses: problemResponses(),
    },
  };
}

/** The server URL docs/api.md shows. */
export const EXAMPLE_API_SERVER = 'https://sigil.example.com/api/v1';
