import { clustersOpenApi } from './clusters.js';

/**
 * sigil's /api/v1 in OpenAPI 3.1, merged from one object per resource (served at
 * /api/v1/openapi.json).
 */
export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'sigil API', version },
    paths: { ...clustersOpenApi.paths },
    components: {
      securitySchemes: { ...clustersOpenApi.components.securitySchemes },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
          },
        },
        ...clustersOpenApi.components.schemas,
      },
    },
  };
}
