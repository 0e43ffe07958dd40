import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Eta } from 'eta';

export interface Brand {
  readonly name: string;
}

/** Every template the server renders; startup fails when one is missing (Dex's rule). */
export const TEMPLATES = ['layout', 'login', 'connectors', 'consent', 'error', 'logout', 'logout-success', 'home'] as const;
export type TemplateName = (typeof TEMPLATES)[number];

export interface Views {
  /** Renders a page inside the layout. Every interpolation is HTML-escaped unless the template says `<%~`. */
  page(name: Exclude<TemplateName, 'layout'>, title: string, data: Record<string, unknown>): string;
  readonly css: string;
}

export function loadViews(dir: string, brand: Brand): Views {
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
  const css = readFileSync(join(dir, 'assets', 'sigil.css'), 'utf8');
  return {
    css,
    page(name, title, data) {
      const body = eta.render(name, { ...data, brand });
      return eta.render('layout', { title, brand, body });
    },
  };
}
