import { z } from 'zod';
import { hostPort } from './common.js';

/** What sigil tells its operators: log lines (`logger`) and the telemetry listener. */

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const logger = z
  .object({
    level: z.enum(LOG_LEVELS).default('info'),
    format: z.enum(['json', 'text', 'auto']).default('auto').meta({
      description: '`json` lines, `text` (pretty), or `auto`: pretty when stdout is a terminal.',
    }),
  })
  .strict();

export const telemetry = z
  .object({
    http: hostPort.optional().meta({
      description:
        'Listen address of the telemetry listener (`/metrics`, `/healthz`, `/readyz`), e.g. `0.0.0.0:5558` (Dex). Unset: `/metrics` is served on the main listener.',
    }),
  })
  .strict();
