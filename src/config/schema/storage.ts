import { z } from 'zod';
import { duration } from './common.js';

/** Where the embedded database lives when nothing else is configured. */
export const DEFAULT_DATA_DIR = './.sigil';

export const postgresConfig = z
  .object({
    url: z.string().optional().meta({
      description:
        'Connection URL `postgres://user:pass@host:5432/db?sslmode=require`. Also `urlFile`, `${ENV}` or the DATABASE_URL environment variable.',
    }),
    host: z.string().optional().meta({ description: 'Dex style: server host (instead of `url`).' }),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .meta({ description: 'Dex style: server port.' }),
    database: z.string().optional().meta({ description: 'Dex style: database name.' }),
    user: z.string().optional().meta({ description: 'Dex style: user name.' }),
    password: z
      .string()
      .optional()
      .meta({ description: 'Dex style: password. Also `passwordFile` or `${ENV}`.' }),
    ssl: z
      .object({
        mode: z
          .enum(['disable', 'require', 'verify-ca', 'verify-full'])
          .default('disable')
          .meta({ description: 'TLS to the database.' }),
        caFile: z.string().optional().meta({ description: 'CA bundle to verify the server with.' }),
      })
      .strict()
      .optional()
      .meta({ description: 'Dex style: TLS settings.' }),
    maxOpenConns: z
      .number()
      .int()
      .min(1)
      .max(500)
      .default(10)
      .meta({ description: 'Pool size per replica.' }),
    connectionTimeout: duration('5s', 'Time to wait for a connection.'),
    statementTimeout: duration('10s', 'Longest a single statement may run.'),
  })
  .strict();

export const storage = z
  .discriminatedUnion('type', [
    z
      .object({
        type: z.literal('postgres'),
        config: postgresConfig.prefault({}),
      })
      .strict(),
    z
      .object({
        type: z.literal('pglite'),
        config: z
          .object({
            dataDir: z.string().default(DEFAULT_DATA_DIR).meta({
              description: 'Directory of the embedded database. Locked: one process at a time.',
            }),
          })
          .strict()
          .prefault({}),
      })
      .strict(),
  ])
  .meta({
    description: `\`postgres\` for production (N replicas share one database), or \`pglite\`, an embedded PostgreSQL in \`dataDir\` for one process. Default: DATABASE_URL when set, else pglite in \`${DEFAULT_DATA_DIR}\`.`,
  });

/** `storage.config` of `type: postgres`, as the schema outputs it (durations in ms). */
export type PostgresStorageConfig = z.output<typeof postgresConfig>;
