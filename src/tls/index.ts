export { ensureDevTls, DEFAULT_DEV_HOSTNAMES, type DevTls } from './dev-ca.js';
export { lastCertificateOfChain, readPemCertificates } from './pem.js';
export {
  createReloadingTlsContext,
  loadTlsFiles,
  type ReloadOptions,
  type ReloadingTlsContext,
  type TlsFiles,
} from './tls-files.js';
