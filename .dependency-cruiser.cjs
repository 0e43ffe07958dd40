// The dependency rules of src/ (`npm run lint` runs them; docs/architecture.md draws them).
// These rules are the authority: when the page and this file disagree, this file wins and the
// page is fixed.
//
// Layers, lowest first. A module may import from its own folder and from any lower layer;
// never from a higher layer, and never from another folder of its own layer.
/** @type {{ name: string, folders: string[] }[]} */
const LAYERS = [
  { name: 'lib', folders: ['lib'] },
  { name: 'foundation', folders: ['errors.ts', 'log.ts', 'paths.ts'] },
  { name: 'config', folders: ['config'] },
  { name: 'adapters', folders: ['tls', 'storage', 'connectors'] },
  { name: 'services', folders: ['keys', 'security', 'metrics', 'kube'] },
  // `sigil import dex`: reads a Dex database, writes through storage and keys; only cli/ uses it.
  { name: 'import', folders: ['dex'] },
  { name: 'oidc', folders: ['oidc'] },
  { name: 'http', folders: ['http'] },
  { name: 'server', folders: ['server'] },
  { name: 'cli', folders: ['cli'] },
  { name: 'main', folders: ['main.ts'] },
];

/** The path pattern of a folder (`src/storage/…`) or of a root file (`src/errors.ts`). */
const pattern = (f) => (f.endsWith('.ts') ? `^src/${f.replace('.', '\\.')}$` : `^src/${f}/`);

const layerRules = LAYERS.flatMap((layer, i) => {
  const higher = LAYERS.slice(i + 1).flatMap((l) => l.folders);
  const upward =
    higher.length === 0
      ? []
      : [
          {
            name: `layer-${layer.name}-upward`,
            comment: `${layer.name} (${layer.folders.join(', ')}) must not import from a higher layer: ${higher.join(', ')}`,
            severity: 'error',
            from: { path: layer.folders.map(pattern) },
            to: { path: higher.map(pattern) },
          },
        ];
  const sideways = layer.folders
    .filter(() => layer.folders.length > 1)
    .map((f) => ({
      name: `layer-${layer.name}-sideways`,
      comment: `${f} must not import from another folder of its layer (${layer.folders.filter((o) => o !== f).join(', ')})`,
      severity: 'error',
      from: { path: pattern(f) },
      to: { path: layer.folders.filter((o) => o !== f).map(pattern) },
    }));
  return [...upward, ...sideways];
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle: split the module or move the shared piece down a layer.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'through-folder-index',
      comment:
        'Another top-level folder is entered through its index.ts (src/<folder>/index.ts), never past it.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
    {
      name: 'through-folder-index-from-root',
      comment: 'A root module (main.ts, errors.ts, ...) enters a folder through its index.ts.',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$' },
      to: { path: '^src/[^/]+/', pathNot: '^src/[^/]+/index\\.ts$' },
    },
    {
      name: 'through-subfolder-index',
      comment:
        'Inside a folder, a subfolder (http/app, config/schema, connectors/ldap, ...) is entered through its index.ts.',
      severity: 'error',
      from: { path: '^src/([^/]+)/(?:[^/]+\\.ts$|([^/]+)/)' },
      to: {
        path: '^src/$1/[^/]+/',
        pathNot: ['^src/$1/$2/', '^src/$1/[^/]+/index\\.ts$'],
      },
    },
    {
      name: 'oidc-provider-in-oidc-and-http',
      comment:
        'oidc-provider (and its error classes) belongs to oidc/ and http/; metrics may read its types.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(oidc|http)/', '^src/metrics/'] },
      to: { path: 'node_modules/oidc-provider/' },
    },
    {
      name: 'oidc-provider-types-only-in-metrics',
      comment: 'metrics/ may name oidc-provider types, never use its values.',
      severity: 'error',
      from: { path: '^src/metrics/' },
      to: { path: 'node_modules/oidc-provider/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import that resolves to nothing.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: ['^src/', 'node_modules/oidc-provider/'],
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
