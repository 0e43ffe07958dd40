export type * from './connector.js';
export {
  createLdapConnector,
  runLdapCheck,
  type LdapCheckOutcome,
  type LdapConnectorOptions,
  type LdapLogger,
  type LdapHooks,
} from './ldap/index.js';
export {
  createStaticConnector,
  hashPassword,
  verifyPassword,
  BCRYPT_COST,
  type HashAlgorithm,
  type StaticConnectorOptions,
  type ImportedPasswordUser,
  type ImportedPasswordUsers,
} from './static/index.js';
