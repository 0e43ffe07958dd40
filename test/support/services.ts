/** What test/global-setup.ts provides to integration tests through `inject()`. */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of a PostgreSQL server (a database per test file is created from it). */
    pgUrl: string;
    /** ldap:// URL of the throwaway slapd. */
    ldapUrl: string;
    /** ldaps:// URL of the same slapd. */
    ldapsUrl: string;
    /** PEM file of the CA that signed slapd's certificate. */
    ldapCaFile: string;
    /** Directory of slapd's config, to modify the directory from tests (ldapmodify). */
    ldapAdminDN: string;
    ldapAdminPassword: string;
    ldapBaseDN: string;
  }
}
export {};
