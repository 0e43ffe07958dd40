import { join } from 'node:path';
import { deepFreeze } from './load.js';
import { configSchema, type Config } from './schema.js';

export const DEV_PORT = 5556;
export const DEV_ISSUER = `https://localhost:${DEV_PORT}`;
export const DEV_CLIENT_ID = 'kubectl';
export const DEV_USERNAME = 'demo';

export interface DevInputs {
  dataDir: string;
  certFile: string;
  keyFile: string;
  caFile: string;
  /** bcrypt hash of the generated demo password. */
  demoHash: string;
}

/**
 * The zero-config development setup: https on localhost:5556 with a generated CA, PGlite in
 * the data directory, one demo user and one public native client `kubectl` for kubelogin.
 */
export function devConfig(inputs: DevInputs): Config {
  return deepFreeze(
    configSchema.parse({
      dev: true,
      issuer: DEV_ISSUER,
      storage: { type: 'pglite', config: { dataDir: inputs.dataDir } },
      web: {
        https: `127.0.0.1:${DEV_PORT}`,
        tlsCert: inputs.certFile,
        tlsKey: inputs.keyFile,
        tlsCA: inputs.caFile,
      },
      enablePasswordDB: true,
      staticPasswords: [
        {
          email: 'demo@example.com',
          hash: inputs.demoHash,
          username: DEV_USERNAME,
          userID: '2f0e5e7a-0d6f-4a53-9e1c-5d3f7f1b9a10',
          name: 'Demo User',
          groups: ['demo-developers', 'demo-viewers'],
        },
      ],
      staticClients: [{ id: DEV_CLIENT_ID, name: 'kubectl (kubelogin)', public: true }],
    }),
  );
}

export function devPasswordFile(dataDir: string): string {
  return join(dataDir, 'demo-password');
}
