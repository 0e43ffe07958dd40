export { createStaticConnector, type StaticConnectorOptions } from './static-connector.js';
export { hashPassword, verifyPassword, BCRYPT_COST, type HashAlgorithm } from './hash.js';
