export { renderApiServerFlags, type ApiServerFlagsInput } from './apiserver-flags.js';
export {
  buildAuthenticationConfiguration,
  renderAuthenticationConfiguration,
  stripDenyRules,
  withDenyRules,
  USER_VALIDATION_RULES,
  EMAIL_VERIFIED_RULE,
  MFA_RULE,
  type AuthenticationConfiguration,
  type AuthenticationConfigInput,
  type AuthenticationConfigVersion,
  type JwtAuthenticator,
} from './authentication-config.js';
export {
  buildKubeconfig,
  renderKubeconfig,
  kubeloginArgs,
  kubeconfigUserName,
  kubeconfigFileName,
  KUBELOGIN_EXTRA_SCOPES,
  type Kubeconfig,
  type KubeconfigInput,
} from './kubeconfig.js';
export { clusterUser, type ClaimMapping, type ClusterUser } from './cluster-user.js';
export { resolveIssuerCa, type IssuerCa, type IssuerTlsSettings } from './issuer-ca.js';
export * from './revocation/index.js';
export * from './sync/index.js';
