import { z } from 'zod';
import { formatDuration, parseDuration } from '../../lib/index.js';

/** Shared building blocks of the schema sections. */

export const DURATION_ERROR = 'not a duration (e.g. 10m, 24h, 90s)';

/**
 * A Go-style duration in the file, milliseconds in the parsed config. A codec, so that a
 * parsed config can be written back as a file would say it (configAsInput).
 */
export const durationMs = z.codec(z.string(), z.number(), {
  decode: (text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.issues.push({ code: 'custom', message: DURATION_ERROR, input: text });
      return z.NEVER;
    }
    return ms;
  },
  encode: (ms) => formatDuration(ms),
});

const described = (description: string) => ({
  description: `${description} Go duration syntax (\`10m\`, \`24h\`).`,
});

/** A duration with a default, written as the user would write it (`10m`): milliseconds out. */
export const duration = (fallback: string, description: string) =>
  durationMs.prefault(fallback).meta(described(description));

/** A duration without a default: milliseconds, or undefined when not set. */
export const optionalDuration = (description: string) =>
  durationMs.optional().meta(described(description));

export const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, 'expected host:port, e.g. 0.0.0.0:5556');

/** Indexes of the values that occurred before (for "duplicate id" rows). */
export function duplicates(values: readonly string[]): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  values.forEach((v, i) => {
    if (seen.has(v)) out.push(i);
    seen.add(v);
  });
  return out;
}
