import { z } from 'zod';

export const frontend = z
  .object({
    issuer: z.string().min(1).max(80).default('sigil').meta({
      description:
        'Display name on every page and in page titles (Dex `frontend.issuer`), e.g. `ACME Kubernetes`.',
    }),
    logoFile: z.string().optional().meta({
      description:
        'Logo image (PNG, SVG, JPEG, WebP or GIF, at most 256 KiB) shown above each page. Read once at start and served by sigil at `/assets/logo`: no external assets (Dex has `logoURL`).',
    }),
    theme: z.enum(['light', 'dark', 'auto']).default('auto').meta({
      description: "`light`, `dark`, or `auto`: follow the browser's colour-scheme preference.",
    }),
    primaryColor: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, 'expected a #rrggbb colour')
      .optional()
      .meta({
        description:
          'Accent colour (`#rrggbb`) of buttons, links and the logo mark. Shades are adjusted where needed so that text keeps a 4.5:1 contrast in light and dark pages.',
      }),
  })
  .strict();
