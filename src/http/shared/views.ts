import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Eta } from 'eta';
import { publicPaths } from './paths.js';

/** What the pages show of the operator's branding (config `frontend`, see brand.ts). */
export interface Brand {
  /** Display name on every page (`frontend.issuer`). */
  readonly name: string;
  /** `light`, `dark` or `auto` (the browser's preference). */
  readonly theme: 'light' | 'dark' | 'auto';
  /** Where sigil serves the configured logo, when there is one. */
  readonly logoUrl?: string;
}

/** Every template the server renders; startup fails when one is missing (Dex's rule). */
export const TEMPLATES = [
  'layout',
  'login',
  'connectors',
  'consent',
  'error',
  'logout',
  'logout-success',
  'home',
  'device-input',
  'device-confirm',
  'device-success',
  'kubeconfig',
  'access-denied',
  'mfa',
  'mfa-enroll',
  'mfa-recovery',
  'devices',
  'devices-confirm',
  'security',
  'access',
] as const;
export type TemplateName = (typeof TEMPLATES)[number];

export interface Views {
  /**
   * Renders a page inside the layout, with `it.brand` and `it.paths` beside `data`. Every
   * interpolation is HTML-escaped unless the template says `<%~`.
   */
  page(name: Exclude<TemplateName, 'layout'>, title: string, data: Record<string, unknown>): string;
  readonly css: string;
}

/**
 * `extraCss` is appended to views/assets/sigil.css (the configured primary colour). Every
 * template sees `it.paths` (paths.ts's publicPaths): links and form actions under `base`, the
 * issuer's path ('' at the root).
 */
export function loadViews(dir: string, brand: Brand, extraCss = '', base = ''): Views {
  const templatePaths = publicPaths(base);
  const eta = new Eta({ views: dir, autoEscape: true, cache: true, autoTrim: false });
  const missing = TEMPLATES.filter((t) => {
    try {
      readFileSync(join(dir, `${t}.eta`));
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) throw new Error(`missing template(s) in ${dir}: ${missing.join(', ')}`);
  const css = readFileSync(join(dir, 'assets', 'sigil.css'), 'utf8') + extraCss;
  return {
    css,
    page(name, title, data) {
      const body = eta.render(name, { ...data, brand, paths: templatePaths });
      return eta.render('layout', { title, brand, body, page: name, paths: templatePaths });
    },
  };
}
