import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/errors.js';
import { loadBrand, loadViews } from '../../../src/http/index.js';
import { packageRoot } from '../../../src/paths.js';

/** Branding from config: what the layout renders and which logo files start refuses. */
describe('frontend branding', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-brand-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const views = (frontend: Parameters<typeof loadBrand>[0]) => {
    const b = loadBrand(frontend);
    return loadViews(join(packageRoot(), 'views'), b.brand, b.css);
  };

  it.each(['light', 'dark', 'auto'] as const)('renders theme %s on <html>', (theme) => {
    const html = views({ issuer: 'ACME', theme }).page('error', 'Oops', {
      heading: 'Oops',
      message: 'm',
    });
    expect(html).toContain(`<html lang="en" data-theme="${theme}">`);
    expect(html).toContain(
      `<meta name="color-scheme" content="${theme === 'auto' ? 'light dark' : theme}">`,
    );
    expect(html).toContain('<title>Oops · ACME</title>');
    expect(html).not.toContain('/assets/logo');
  });

  it('escapes the name, links the logo, and appends the colour to the stylesheet', () => {
    const logo = join(dir, 'logo.png');
    writeFileSync(logo, Buffer.from('89504e470d0a1a0a', 'hex'));
    const v = views({
      issuer: '<script>alert(1)</script>',
      theme: 'auto',
      logoFile: logo,
      primaryColor: '#ffff00',
    });
    const html = v.page('logout-success', 'Signed out', {});
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('<img class="logo" src="/assets/logo" alt="">');
    expect(v.css).toContain('/* frontend.primaryColor */');
    expect(loadBrand({ issuer: 'x', theme: 'auto', logoFile: logo }).logo?.type).toBe('image/png');
  });

  it('refuses a missing, unknown or oversized logo at start', () => {
    const code = (f: () => unknown) => {
      try {
        f();
        return 'none';
      } catch (err) {
        return isAppError(err) ? err.code : 'other';
      }
    };
    expect(
      code(() => loadBrand({ issuer: 'x', theme: 'auto', logoFile: join(dir, 'no.png') })),
    ).toBe('CONFIG_ENV_MISSING');
    writeFileSync(join(dir, 'logo.txt'), 'hi');
    expect(
      code(() => loadBrand({ issuer: 'x', theme: 'auto', logoFile: join(dir, 'logo.txt') })),
    ).toBe('CONFIG_INVALID');
    writeFileSync(join(dir, 'big.svg'), Buffer.alloc(300 * 1024, 32));
    expect(
      code(() => loadBrand({ issuer: 'x', theme: 'auto', logoFile: join(dir, 'big.svg') })),
    ).toBe('CONFIG_INVALID');
  });
});
