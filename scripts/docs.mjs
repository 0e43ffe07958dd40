// Regenerates the generated references (npm run docs; needs a build): docs/config.md from the
// config schema, then docs/errors.md from the error codes. README.md and the guides link them.
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const reference = execFileSync(process.execPath, ['dist/main.js', 'config', 'docs'], {
  encoding: 'utf8',
});
writeFileSync('docs/config.md', reference);
console.log('docs/config.md regenerated');
await import('./errors-doc.mjs');
const api = await import('../dist/http/api/index.js');
writeFileSync('docs/api.md', api.renderApiReference(api.openApiDocument(api.EXAMPLE_API_SERVER)));
console.log('docs/api.md regenerated');
