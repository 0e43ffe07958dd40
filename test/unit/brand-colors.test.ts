import { describe, expect, it } from 'vitest';
import {
  accentFor,
  brandCss,
  contrast,
  shadeFor,
  textOn,
  THEME_BACKGROUNDS,
} from '../../src/http/shared/brand-colors.js';

const COLOURS = [
  '#ffff00',
  '#ffffff',
  '#000000',
  '#777777',
  '#3b5bdb',
  '#00ff00',
  '#ff0000',
  '#e60073',
  '#0f766e',
  '#f59e0b',
  '#1e1e1e',
  '#767676',
  '#b0b0b0',
];

describe('brand colours keep WCAG AA contrast', () => {
  it('knows the reference contrasts', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#ffffff', '#ffffff')).toBe(1);
    expect(contrast('#767676', '#ffffff')).toBeCloseTo(4.54, 2);
  });

  it.each(COLOURS)(
    '%s: accent reads at 4.5:1 on page and card, button text at 4.5:1, both themes',
    (c) => {
      for (const theme of ['light', 'dark'] as const) {
        const bgs = THEME_BACKGROUNDS[theme];
        const { accent, onAccent } = accentFor(c, bgs);
        for (const bg of bgs)
          expect(contrast(accent, bg), `${theme} ${accent} on ${bg}`).toBeGreaterThanOrEqual(4.5);
        expect(
          contrast(accent, onAccent),
          `${theme} ${onAccent} on ${accent}`,
        ).toBeGreaterThanOrEqual(4.5);
      }
    },
  );

  it('keeps a colour that already passes, and moves a failing one only as far as needed', () => {
    expect(shadeFor('#2f4fd0', THEME_BACKGROUNDS.light)).toBe('#2f4fd0');
    const yellow = shadeFor('#ffff00', THEME_BACKGROUNDS.light);
    expect(contrast(yellow, '#f3f4f6')).toBeGreaterThanOrEqual(4.5);
    expect(contrast(yellow, '#f3f4f6')).toBeLessThan(5.2);
  });

  it('picks white or dark text by contrast', () => {
    expect(textOn('#000080')).toBe('#ffffff');
    expect(textOn('#ffff00')).toBe('#111318');
  });

  it('emits overrides for the light theme, the dark theme and auto in dark mode', () => {
    const css = brandCss('#e60073');
    expect(css).toContain(':root {');
    expect(css).toContain(":root[data-theme='dark']");
    expect(css).toContain("@media (prefers-color-scheme: dark) { :root[data-theme='auto']");
    expect(css).not.toMatch(/[<>]/);
  });
});
