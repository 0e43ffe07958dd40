export * from './keystore.js';
