import { z } from 'zod';
import { parseDuration } from '../../lib/index.js';

/** Shared building blocks of the schema sections. */

export const DURATION_ERROR = 'not a duration (e.g. 10m, 24h, 90s)';

/** A Go-style duration in the file, milliseconds in the parsed config. */
export const durationMs = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: DURATION_ERROR });
    return z.NEVER;
  }
  return ms;
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
