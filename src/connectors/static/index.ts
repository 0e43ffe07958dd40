export {
  createStaticConnector,
  type StaticConnectorOptions,
  type ImportedPasswordUser,
  type ImportedPasswordUsers,
} from './static-connector.js';
export { hashPassword, verifyPassword, BCRYPT_COST, type HashAlgorithm } from './hash.js';
