export {
  createLdapConnector,
  type LdapConnectorOptions,
  type LdapLogger,
} from './ldap-connector.js';
export { runLdapCheck, type LdapCheckOutcome } from './check.js';
export type { LdapHooks } from './transport.js';
