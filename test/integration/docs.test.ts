import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConfigReference } from '../../src/config/docs.js';
import { configSchema } from '../../src/config/schema.js';
import { ERROR_CODES } from '../../src/errors.js';
import {
  EXAMPLE_API_SERVER,
  openApiDocument,
  renderApiReference,
} from '../../src/http/api/index.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('generated documentation is in sync (run `npm run docs` when this fails)', () => {
  const reference = renderConfigReference(configSchema);

  it('docs/config.md is the generated reference', () => {
    expect(readFileSync(join(ROOT, 'docs', 'config.md'), 'utf8')).toBe(reference);
  });

  it('docs/api.md is generated from the OpenAPI document', () => {
    expect(readFileSync(join(ROOT, 'docs', 'api.md'), 'utf8')).toBe(
      renderApiReference(openApiDocument(EXAMPLE_API_SERVER)),
    );
  });

  it('the README links the references instead of copying them', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('](docs/config.md)');
    expect(readme).toContain('](docs/errors.md)');
    expect(readme).not.toContain('config-reference:start');
    expect(readme).not.toContain('| `issuer` |');
  });

  it('every error code is documented in docs/errors.md, and nothing else is', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });
});
