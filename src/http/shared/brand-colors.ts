/**
 * Colour arithmetic for configurable branding: WCAG 2 relative luminance and contrast, and
 * the shades of a configured primary colour that keep text readable (4.5:1) in the light and
 * the dark theme. Pure functions, no I/O.
 */
export type Rgb = readonly [number, number, number];

export function parseHex(hex: string): Rgb {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (m === null) throw new Error(`not a #rrggbb colour: ${hex}`);
  return [parseInt(m[1] ?? '0', 16), parseInt(m[2] ?? '0', 16), parseInt(m[3] ?? '0', 16)];
}

export function toHex(c: Rgb): string {
  return `#${c
    .map((v) =>
      Math.round(Math.min(255, Math.max(0, v)))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

function channel(v: number): number {
  const s = v / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

export function luminance(c: Rgb): number {
  return 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
}

/** WCAG contrast ratio, 1 to 21. */
export function contrast(a: string, b: string): number {
  const la = luminance(parseHex(a));
  const lb = luminance(parseHex(b));
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

function mix(c: Rgb, toward: Rgb, t: number): Rgb {
  return [
    c[0] + (toward[0] - c[0]) * t,
    c[1] + (toward[1] - c[1]) * t,
    c[2] + (toward[2] - c[2]) * t,
  ];
}

/**
 * The shade of `color` nearest to it that has at least `min` contrast against every one of
 * `backgrounds`: mixed toward black on light backgrounds, toward white on dark ones.
 */
export function shadeFor(color: string, backgrounds: readonly string[], min = 4.5): string {
  const ok = (c: string) => backgrounds.every((bg) => contrast(c, bg) >= min);
  if (ok(color)) return color;
  const dark = backgrounds.every((bg) => luminance(parseHex(bg)) < 0.18);
  const target: Rgb = dark ? [255, 255, 255] : [0, 0, 0];
  const base = parseHex(color);
  for (let step = 1; step <= 100; step++) {
    const candidate = toHex(mix(base, target, step / 100));
    if (ok(candidate)) return candidate;
  }
  return toHex(target);
}

/** White or near-black text, whichever reads better on `background` (always ≥ 4.5:1). */
export function textOn(background: string): string {
  const light = '#ffffff';
  const dark = '#111318';
  return contrast(light, background) >= contrast(dark, background) ? light : dark;
}

/** The page backgrounds of the built-in themes (views/assets/sigil.css): page, then card. */
export const THEME_BACKGROUNDS = {
  light: ['#f3f4f6', '#ffffff'],
  dark: ['#111318', '#1b1e24'],
} as const;

/**
 * The accent (links, primary buttons) and the text on it for one theme: the accent reads at
 * 4.5:1 on the page and the card, the button text at 4.5:1 on the accent.
 */
export function accentFor(
  primary: string,
  backgrounds: readonly string[],
): { accent: string; onAccent: string } {
  let accent = shadeFor(primary, backgrounds);
  let onAccent = textOn(accent);
  if (contrast(accent, onAccent) < 4.5) {
    accent = shadeFor(accent, [onAccent]);
    onAccent = textOn(accent);
  }
  return { accent, onAccent };
}

/** CSS that overrides the theme's accent with the configured primary colour, both themes. */
export function brandCss(primary: string): string {
  const light = accentFor(primary, THEME_BACKGROUNDS.light);
  const dark = accentFor(primary, THEME_BACKGROUNDS.dark);
  const vars = (p: { accent: string; onAccent: string }) =>
    `--brand: ${p.accent}; --brand-contrast: ${p.onAccent}; --focus: ${p.accent};`;
  return [
    '/* frontend.primaryColor */',
    `:root { ${vars(light)} }`,
    `:root[data-theme='dark'] { ${vars(dark)} }`,
    `@media (prefers-color-scheme: dark) { :root[data-theme='auto'] { ${vars(dark)} } }`,
    '',
  ].join('\n');
}
