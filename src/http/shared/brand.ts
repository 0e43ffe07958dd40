import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { AppError } from '../../errors.js';
import { brandCss } from './brand-colors.js';
import { paths } from './paths.js';
import type { Brand } from './views.js';

/** The `frontend` block of the configuration (Dex's keys, plus a logo file sigil serves). */
export interface FrontendConfig {
  readonly issuer: string;
  readonly logoFile?: string | undefined;
  readonly theme: 'light' | 'dark' | 'auto';
  readonly primaryColor?: string | undefined;
}

/** A static file sigil serves from memory. */
export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

export interface BrandAssets {
  readonly brand: Brand;
  /** CSS appended to views/assets/sigil.css (the configured colour), possibly empty. */
  readonly css: string;
  readonly logo?: Asset;
}

const MAX_LOGO_BYTES = 256 * 1024;
const LOGO_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

function readLogo(file: string): Asset {
  const type = LOGO_TYPES[extname(file).toLowerCase()];
  if (type === undefined)
    throw new AppError(
      'CONFIG_INVALID',
      `frontend.logoFile: ${file} is not a PNG, SVG, JPEG, WebP or GIF file`,
    );
  let body: Buffer;
  try {
    body = readFileSync(resolve(file));
  } catch (err) {
    throw new AppError(
      'CONFIG_ENV_MISSING',
      `frontend.logoFile: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      { cause: err },
    );
  }
  if (body.length > MAX_LOGO_BYTES)
    throw new AppError(
      'CONFIG_INVALID',
      `frontend.logoFile: ${file} is ${body.length} bytes; at most ${MAX_LOGO_BYTES} are served`,
    );
  return { body, type };
}

/** Reads the logo (once, at start) and derives what the pages need from `frontend`. */
/** `base`: the issuer's path ('' at the root), in front of the logo's URL. */
export function loadBrand(frontend: FrontendConfig, base = ''): BrandAssets {
  const logo = frontend.logoFile === undefined ? undefined : readLogo(frontend.logoFile);
  const brand: Brand = {
    name: frontend.issuer,
    theme: frontend.theme,
    ...(logo === undefined ? {} : { logoUrl: `${base}${paths.logo}` }),
  };
  const css = frontend.primaryColor === undefined ? '' : brandCss(frontend.primaryColor);
  return { brand, css, ...(logo === undefined ? {} : { logo }) };
}
