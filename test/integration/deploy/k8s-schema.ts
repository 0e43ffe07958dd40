import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Offline validation of Kubernetes objects against the API's OpenAPI schemas, with the
 * `kubernetes-models` package (generated from them): its validators check types, formats,
 * enums and required fields. OpenAPI does not forbid unknown fields, which the API server
 * rejects or drops, so each object is also type-checked as an object literal of the model's
 * TypeScript interface: an unknown or misspelt field is an excess-property error.
 */

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** `apps/v1` + `Deployment` → `kubernetes-models/apps/v1/Deployment`. */
export function modelModule(o: Pick<K8sObject, 'apiVersion' | 'kind'>): string {
  if (!/^([a-z0-9.-]+\/)?v\d+(alpha\d+|beta\d+)?$/.test(o.apiVersion) || !/^[A-Z]\w+$/.test(o.kind))
    throw new Error(`not a Kubernetes type: ${o.apiVersion} ${o.kind}`);
  return `kubernetes-models/${o.apiVersion}/${o.kind}`;
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

/** Schema errors of one object (empty when valid); an unknown apiVersion/kind is an error. */
export async function schemaErrors(o: K8sObject): Promise<string[]> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(modelModule(o))) as Record<string, unknown>;
  } catch (err) {
    return [`no schema for ${o.apiVersion} ${o.kind}: ${(err as Error).message}`];
  }
  const Ctor = mod[o.kind] as ModelClass | undefined;
  if (Ctor === undefined) return [`no model class for ${o.kind}`];
  try {
    new Ctor(o).validate();
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}

/** Unknown fields (and type mismatches) of each object, found by the TypeScript checker. */
export function unknownFieldErrors(objects: readonly K8sObject[]): string[] {
  const file = join(ROOT, 'test', '__k8s_objects__.ts');
  const source = objects
    .map(
      (o, i) =>
        `import type { I${o.kind} as T${String(i)} } from '${modelModule(o)}';\n` +
        `export const o${String(i)}: T${String(i)} = ${JSON.stringify(o)};\n`,
    )
    .join('');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) =>
    name === file
      ? ts.createSourceFile(name, source, lang)
      : getSourceFile(name, lang, onError, create);
  host.fileExists = (name) => name === file || fileExists(name);
  host.readFile = (name) => (name === file ? source : readFile(name));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file === undefined || d.start === undefined) return text;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const i = Math.floor(line / 2);
    const o = objects[i];
    return `${o?.kind ?? '?'} ${o?.metadata?.name ?? '?'}: ${text}`;
  });
}
