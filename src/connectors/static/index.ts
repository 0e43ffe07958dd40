export {
  createStaticConnector,
  validateStaticUsers,
  type StaticConnectorOptions,
  type StaticUserProblem,
} from './static-connector.js';
export {
  hashPassword,
  normalizeHash,
  validateHash,
  verifyPassword,
  BCRYPT_COST,
  type HashAlgorithm,
} from './hash.js';
