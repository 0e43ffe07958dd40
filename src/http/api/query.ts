import { z } from 'zod';
import type { ApiContext } from './auth.js';
import { Problem } from './problem.js';

/** The most items one page may hold; more is a 400, not a slow answer. */
export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 100;

// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A filter value: printable text of bounded length (compared as data, never as SQL). */
export const text = (max = 256) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((v) => !CONTROL.test(v), { error: 'control characters are not allowed' });

export const limit = z
  .string()
  .regex(/^[0-9]{1,6}$/, { error: 'a whole number' })
  .transform(Number)
  .pipe(z.number().int().min(1).max(MAX_PAGE))
  .optional();

/** An opaque page cursor (what the previous page's `next` said). */
export const cursor = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,300}$/, { error: 'not a cursor this API returned' })
  .optional();

/** The query string, validated: repeated or unknown parameters are a 400 problem. */
export function parseQuery<T extends z.ZodRawShape>(
  ctx: ApiContext,
  shape: T,
): z.output<z.ZodObject<T>> {
  const result = z.strictObject(shape).safeParse(ctx.query);
  if (!result.success) throw result.error;
  return result.data;
}

/** The JSON body, validated against a strict schema (unknown fields are a 400 problem). */
export function parseBody<T extends z.ZodRawShape>(
  ctx: ApiContext,
  shape: T,
): z.output<z.ZodObject<T>> {
  const body: unknown = (ctx.request as { body?: unknown }).body;
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body))
    throw new Problem('bad-request', 'the body must be a JSON object');
  const result = z.strictObject(shape).safeParse(body);
  if (!result.success) throw result.error;
  return result.data;
}

/** A page of items and the cursor of the next one, when the page is full. */
export function page<T>(items: readonly T[], size: number, cursorOf: (item: T) => string) {
  const last = items[items.length - 1];
  return {
    items,
    ...(items.length === size && last !== undefined ? { next: cursorOf(last) } : {}),
  };
}
