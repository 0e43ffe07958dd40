import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths, type Asset } from '../shared/index.js';

/**
 * The second-factor pages' scripts: sigil's own (views/assets/mfa.js) and the browser bundle
 * of @simplewebauthn/browser from node_modules. Served by sigil itself, never from a CDN.
 */
export function mfaScripts(root: string): ReadonlyMap<string, Asset> {
  const js = 'text/javascript; charset=utf-8';
  const read = (...parts: string[]): Asset => ({
    body: readFileSync(join(root, ...parts)),
    type: js,
  });
  return new Map([
    [paths.mfaScript, read('views', 'assets', 'mfa.js')],
    [
      paths.webauthnScript,
      read('node_modules', '@simplewebauthn', 'browser', 'dist', 'bundle', 'index.umd.min.js'),
    ],
  ]);
}
