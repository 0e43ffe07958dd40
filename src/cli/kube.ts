import { readFileSync } from 'node:fs';
import type { ClusterConfig, Config } from '../config/index.js';
import { AppError, errorMessage } from '../errors.js';
import { requireConfig } from './require-config.js';
import { DEFAULT_CA_PATH, type ApiServerConfigOptions } from './program/index.js';
import type { CommandResult } from './result.js';
import {
  renderApiServerFlags,
  renderAuthenticationConfiguration,
  renderKubeconfig,
  resolveIssuerCa,
  type IssuerCa,
} from '../kube/index.js';

export function pickCluster(
  config: Config,
  source: string,
  name: string | undefined,
): ClusterConfig {
  const names = config.clusters.map((c) => c.name);
  if (config.clusters.length === 0)
    throw new AppError('CLUSTER_NOT_FOUND', `${source} has no clusters: add one under clusters`);
  if (name === undefined) {
    const only = config.clusters[0];
    if (config.clusters.length === 1 && only !== undefined) return only;
    throw new AppError(
      'CLI_USAGE',
      `${source} has ${config.clusters.length} clusters (${names.join(', ')}): pick one with --cluster`,
    );
  }
  const found = config.clusters.find((c) => c.name === name);
  if (found === undefined)
    throw new AppError(
      'CLUSTER_NOT_FOUND',
      `no cluster ${name} in ${source} (clusters: ${names.join(', ')})`,
    );
  return found;
}

function readIssuerCa(config: Config): IssuerCa | undefined {
  return resolveIssuerCa(config.web, (file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new AppError('TLS_INVALID', `cannot read ${file}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  });
}

/** `--oidc-signing-algs`: the configured key algorithm, plus RS256 for keys made before a switch. */
export function signingAlgs(config: Config): string[] {
  const alg = config.keys.algorithm;
  return alg === 'RS256' ? ['RS256'] : [alg, 'RS256'];
}

export interface CommandOutput {
  readonly stdout: string;
  /** One-line notes for stderr (stdout stays ready to paste). */
  readonly notes: readonly string[];
}

export function apiServerConfigOutput(
  config: Config,
  source: string,
  o: ApiServerConfigOptions,
): CommandOutput {
  const cluster = pickCluster(config, source, o.cluster);
  const ca = readIssuerCa(config);
  const notes: string[] = [];
  switch (o.format) {
    case 'ca':
      if (ca === undefined)
        throw new AppError(
          'TLS_INVALID',
          'sigil serves no TLS itself (no web.tlsCert or web.tlsCA): there is no CA to print',
        );
      return { stdout: ca.pem, notes };
    case 'authentication-config':
      if (ca === undefined)
        notes.push(
          'no web.tlsCA or web.tlsCert: certificateAuthority left out, kube-apiserver uses its system roots',
        );
      return {
        stdout: renderAuthenticationConfiguration({
          issuer: config.issuer,
          cluster,
          caPem: ca?.pem,
          apiVersion: o.apiVersion,
        }),
        notes,
      };
    case 'flags': {
      let caFile = o.caFile;
      if (caFile === undefined && ca !== undefined) {
        caFile = ca.file ?? DEFAULT_CA_PATH;
        if (ca.file === undefined)
          notes.push(
            `--oidc-ca-file names ${DEFAULT_CA_PATH}: put the CA there on every control-plane node (print it with --format ca), or name another path with --ca-file`,
          );
      }
      if (ca === undefined && o.caFile === undefined)
        notes.push(
          'no web.tlsCA or web.tlsCert: --oidc-ca-file left out, kube-apiserver uses its system roots',
        );
      return {
        stdout: renderApiServerFlags({
          issuer: config.issuer,
          cluster,
          caFile,
          signingAlgs: signingAlgs(config),
        }),
        notes,
      };
    }
  }
}

export function kubeconfigOutput(config: Config, source: string, clusterName: string): string {
  const cluster = pickCluster(config, source, clusterName);
  const ca = readIssuerCa(config);
  return renderKubeconfig({
    issuer: config.issuer,
    cluster,
    issuerCaPem: ca?.private === true ? ca.pem : undefined,
  });
}

/** `sigil kube apiserver-config`: notes on stderr, the wiring on stdout (ready to paste). */
export function kubeApiserverConfig(o: ApiServerConfigOptions): Promise<CommandResult> {
  const { file, config } = requireConfig('kube apiserver-config', o.config);
  return Promise.resolve({ exitCode: 0, ...apiServerConfigOutput(config, file, o) });
}

/** `sigil kube kubeconfig`. */
export function kubeKubeconfig(o: {
  config?: string | undefined;
  cluster: string;
}): Promise<CommandResult> {
  const { file, config } = requireConfig('kube kubeconfig', o.config);
  return Promise.resolve({ exitCode: 0, stdout: kubeconfigOutput(config, file, o.cluster) });
}
