export {
  createLdapConnector,
  type LdapConnectorOptions,
  type LdapLogger,
} from './ldap-connector.js';
export { runLdapCheck } from './check.js';
export type { LdapHooks } from './transport.js';
