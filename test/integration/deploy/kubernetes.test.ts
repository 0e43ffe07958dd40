import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { schemaErrors, unknownFieldErrors, type K8sObject } from './k8s-schema.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const KUBECTL = '/usr/bin/kubectl';

function render(dir: string): K8sObject[] {
  const out = execFileSync(KUBECTL, ['kustomize', join(ROOT, dir)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return parseAllDocuments(out).map((d) => d.toJS() as K8sObject);
}

const one = (objs: K8sObject[], kind: string, name = 'sigil') => {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name?.startsWith(name) === true);
  if (o === undefined) throw new Error(`no ${kind} ${name}`);
  return o as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- reading rendered YAML
};

/** References inside the rendered objects that kubectl would only catch on a live cluster. */
function crossReferenceErrors(objs: K8sObject[]): string[] {
  const errors: string[] = [];
  const dep = one(objs, 'Deployment');
  const pod = dep['spec'].template.spec;
  const podLabels: Record<string, string> = dep['spec'].template.metadata.labels;
  const matches = (sel: Record<string, string>) =>
    Object.entries(sel).every(([k, v]) => podLabels[k] === v);
  if (!matches(dep['spec'].selector.matchLabels)) errors.push('Deployment selector ≠ pod labels');
  const volumes = new Set((pod.volumes as { name: string }[]).map((v) => v.name));
  const container = pod.containers[0];
  const portNames = new Set((container.ports as { name: string }[]).map((p) => p.name));
  const portNumbers = new Set(
    (container.ports as { containerPort: number }[]).map((p) => p.containerPort),
  );
  for (const m of container.volumeMounts as { name: string; mountPath: string }[])
    if (!volumes.has(m.name)) errors.push(`volumeMount ${m.mountPath} names no volume`);
  for (const v of pod.volumes as {
    name: string;
    configMap?: { name: string };
    secret?: { secretName: string };
  }[]) {
    if (
      v.configMap !== undefined &&
      !objs.some((o) => o.kind === 'ConfigMap' && o.metadata?.name === v.configMap?.name)
    )
      errors.push(`volume ${v.name}: no ConfigMap ${v.configMap.name}`);
    if (
      v.secret !== undefined &&
      !objs.some((o) => o.kind === 'Secret' && o.metadata?.name === v.secret?.secretName)
    )
      errors.push(`volume ${v.name}: no Secret ${v.secret.secretName}`);
  }
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'])
    if (!portNames.has(container[probe]?.httpGet?.port))
      errors.push(`${probe} port is not a container port`);
  const args = container.args as string[];
  const configPath = args[args.indexOf('--config') + 1] ?? '';
  if (
    !(container.volumeMounts as { mountPath: string }[]).some((m) =>
      configPath.startsWith(`${m.mountPath}/`),
    )
  )
    errors.push(`--config ${configPath} is on no mounted volume`);
  const svc = one(objs, 'Service');
  if (!matches(svc['spec'].selector)) errors.push('Service selector ≠ pod labels');
  for (const p of svc['spec'].ports as { targetPort: string }[])
    if (!portNames.has(p.targetPort))
      errors.push(`Service targetPort ${p.targetPort} is not a container port`);
  if (!matches(one(objs, 'PodDisruptionBudget')['spec'].selector.matchLabels))
    errors.push('PodDisruptionBudget selector ≠ pod labels');
  const np = one(objs, 'NetworkPolicy');
  if (!matches(np['spec'].podSelector.matchLabels))
    errors.push('NetworkPolicy selector ≠ pod labels');
  const allowed = new Set(
    (np['spec'].ingress as { ports: { port: number }[] }[]).flatMap((r) =>
      r.ports.map((p) => p.port),
    ),
  );
  for (const n of portNumbers)
    if (!allowed.has(n)) errors.push(`NetworkPolicy closes port ${String(n)}`);
  for (const env of container.env as {
    valueFrom?: { secretKeyRef?: { name: string; key: string } };
  }[]) {
    const ref = env.valueFrom?.secretKeyRef;
    if (ref === undefined) continue;
    const secret = objs.find((o) => o.kind === 'Secret' && o.metadata?.name === ref.name) as
      { stringData?: Record<string, string>; data?: Record<string, string> } | undefined;
    if (secret === undefined || !(ref.key in { ...secret.stringData, ...secret.data }))
      errors.push(`env from Secret ${ref.name}/${ref.key}: not in the template`);
  }
  return errors;
}

/** The sigil config in the rendered ConfigMap parses with sigil's own schema. */
function configOf(objs: K8sObject[]) {
  const cm = one(objs, 'ConfigMap', 'sigil-config');
  return parseConfig(
    cm['data']['config.yaml'],
    'ConfigMap sigil-config',
    {
      DATABASE_URL: 'postgres://sigil:pw@db:5432/sigil',
      LDAP_BIND_PASSWORD: 'x',
      KEY_ENCRYPTION_SECRET: 'a-secret-of-at-least-16-chars',
    },
    ROOT,
  );
}

describe('deploy/kubernetes renders with kubectl kustomize into valid objects', () => {
  const installs = [
    'deploy/kubernetes',
    'deploy/kubernetes/overlays/high-availability',
    'deploy/kubernetes/overlays/ingress',
  ];

  it.each(installs)(
    '%s: every object passes the Kubernetes OpenAPI schema, with no unknown fields',
    async (dir) => {
      const objs = render(dir);
      expect(objs.length).toBeGreaterThan(5);
      for (const o of objs)
        expect(await schemaErrors(o), `${o.kind} ${o.metadata?.name ?? ''}`).toEqual([]);
      expect(unknownFieldErrors(objs)).toEqual([]);
      expect(crossReferenceErrors(objs)).toEqual([]);
      for (const o of objs)
        if (o.kind !== 'Namespace') expect(o.metadata?.namespace, o.kind).toBe('sigil');
      const config = configOf(objs);
      expect(config.telemetry.http).toBe('0.0.0.0:5558');
      expect(config.storage?.type).toBe('postgres');
      expect(config.keys.encryptionSecret).toBe('a-secret-of-at-least-16-chars');
    },
  );

  it('the default install: namespace sigil, 2 hardened replicas with probes and requests, Service, PDB, ConfigMap, Secret template, NetworkPolicy', () => {
    const objs = render('deploy/kubernetes');
    expect(objs.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'Namespace',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Secret',
      'Secret',
      'Service',
      'ServiceAccount',
    ]);
    expect(one(objs, 'Namespace')['metadata'].name).toBe('sigil');
    const dep = one(objs, 'Deployment');
    expect(dep['spec'].replicas).toBe(2);
    const pod = dep['spec'].template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const c = pod.containers[0];
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
    });
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.resources.requests).toMatchObject({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
    expect(c.image).toMatch(/^ghcr\.io\/example\/sigil:/);
    expect(one(objs, 'PodDisruptionBudget')['spec'].minAvailable).toBe(1);
    expect(configOf(objs).web.https).toBe('0.0.0.0:5554');
  });

  it('the checks catch what a live API server would refuse', async () => {
    const objs = render('deploy/kubernetes');
    const dep = one(objs, 'Deployment');
    const broken = structuredClone(dep) as unknown as K8sObject;
    (broken['spec'] as Record<string, unknown>)['replicas'] = 'two';
    expect((await schemaErrors(broken)).join()).toMatch(/replicas must be integer/);
    const typo = structuredClone(dep) as unknown as K8sObject;
    (typo['spec'] as Record<string, unknown>)['replica'] = 2;
    expect(unknownFieldErrors([typo]).join()).toMatch(/'"replica"' does not exist in type/);
    expect(await schemaErrors({ apiVersion: 'apps/v1', kind: 'Deploymint' })).not.toEqual([]);
    const unmounted = structuredClone(objs);
    const d = one(unmounted, 'Deployment');
    d['spec'].template.spec.volumes = [];
    expect(crossReferenceErrors(unmounted).join()).toMatch(/names no volume/);
  });
});
