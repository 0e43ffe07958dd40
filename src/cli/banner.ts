import { DEV_CLIENT_ID, DEV_USERNAME } from '../config/index.js';

export interface BannerInfo {
  issuer: string;
  caFile: string;
  password: string;
}

/**
 * What zero-config start prints: how to log in and how to wire a cluster. The CA path is the
 * first file path in it, on purpose: it is what every next step needs.
 */
export function devBanner(b: BannerInfo): string {
  return `
  sigil is running (DEVELOPMENT SETUP: generated CA, embedded database, demo user; not for production)

  CA certificate: ${b.caFile}
  issuer:         ${b.issuer}
  discovery:      ${b.issuer}/.well-known/openid-configuration

  Log in with the demo user:
    username: ${DEV_USERNAME}
    password: ${b.password}

  Next steps
  1. Trust the CA (browser or curl):
       curl --cacert ${b.caFile} ${b.issuer}/.well-known/openid-configuration
  2. Get a token from kubectl with kubelogin (client id "${DEV_CLIENT_ID}", no secret):
       kubectl oidc-login get-token --oidc-issuer-url=${b.issuer} --oidc-client-id=${DEV_CLIENT_ID} \\
         --oidc-extra-scope=email --oidc-extra-scope=groups --certificate-authority=${b.caFile}
  3. Wire a cluster: start kube-apiserver with
       --oidc-issuer-url=${b.issuer}
       --oidc-client-id=${DEV_CLIENT_ID}
       --oidc-ca-file=${b.caFile}
       --oidc-username-claim=email
       --oidc-groups-claim=groups
     (the kube-apiserver must reach ${b.issuer}; kind/minikube need the host's address instead of localhost)

  Production: write a config file (see README) and run: sigil serve --config sigil.yaml
`;
}
