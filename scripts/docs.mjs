// Regenerates the configuration reference from the schema (npm run docs; needs a build):
// docs/config.md whole, and the README section between the config-reference markers.
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const reference = execFileSync(process.execPath, ['dist/main.js', 'config', 'docs'], {
  encoding: 'utf8',
});
writeFileSync('docs/config.md', reference);
const readme = readFileSync('README.md', 'utf8');
const start = '<!-- config-reference:start -->';
const end = '<!-- config-reference:end -->';
const a = readme.indexOf(start);
const b = readme.indexOf(end);
if (a === -1 || b === -1) throw new Error('README.md has no config-reference markers');
const body = reference.replace(/^# Configuration reference\n/, '').trim();
writeFileSync('README.md', `${readme.slice(0, a + start.length)}\n${body}\n${readme.slice(b)}`);
console.log('docs/config.md and README.md regenerated');
await import('./errors-doc.mjs');
