import type { TestProject } from 'vitest/node';
import { pgReachable, startOwnPostgres, type OwnPostgres } from './support/postgres.js';
import { startSlapd, type Slapd } from './support/slapd.js';
import './support/services.js';

/**
 * Starts (or finds) the real peers the integration tests talk to and hands their addresses
 * to the tests with `provide`. Under CI=true a missing service fails the run: nothing is
 * skipped silently.
 */
const DEFAULT_PG =
  process.env['SIGIL_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: (() => void | Promise<void>)[] = [];

  let pgUrl = DEFAULT_PG;
  if (!(await pgReachable(pgUrl))) {
    let own: OwnPostgres | undefined;
    try {
      own = await startOwnPostgres();
    } catch (err) {
      throw new Error(
        `PostgreSQL is not reachable at ${pgUrl} and starting one failed: ${String(err)}`,
      );
    }
    if (own === undefined)
      throw new Error(
        `PostgreSQL is not reachable at ${pgUrl} and no PostgreSQL binaries are installed (apt-get install postgresql)`,
      );
    pgUrl = own.url;
    stops.push(() => {
      own.stop();
    });
  }
  project.provide('pgUrl', pgUrl);

  let slapd: Slapd;
  try {
    slapd = await startSlapd();
  } catch (err) {
    for (const stop of stops.reverse()) await stop();
    throw new Error(
      `slapd could not be started (apt-get install slapd ldap-utils): ${String(err)}`,
    );
  }
  stops.push(() => slapd.stop());
  project.provide('ldapUrl', slapd.url);
  project.provide('ldapsUrl', slapd.ldapsUrl);
  project.provide('ldapCaFile', slapd.caFile);
  project.provide('ldapAdminDN', slapd.adminDN);
  project.provide('ldapAdminPassword', slapd.adminPassword);
  project.provide('ldapBaseDN', slapd.baseDN);

  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
