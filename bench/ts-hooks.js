// Lets Node 22 run the bench's TypeScript directly (type stripping): a relative `./x.js` import
// from a .ts file resolves to `./x.ts` when only the .ts exists, as tsc's NodeNext convention
// expects. Loaded with `node --import ./bench/ts-hooks.js bench/run.ts`.
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

registerHooks({
  resolve(specifier, context, nextResolve) {
    const parent = context.parentURL;
    if (
      parent !== undefined &&
      parent.endsWith('.ts') &&
      (specifier.startsWith('./') || specifier.startsWith('../')) &&
      specifier.endsWith('.js')
    ) {
      const asJs = new URL(specifier, parent);
      const asTs = new URL(`${specifier.slice(0, -3)}.ts`, parent);
      if (!existsSync(fileURLToPath(asJs)) && existsSync(fileURLToPath(asTs)))
        return nextResolve(asTs.href, context);
    }
    return nextResolve(specifier, context);
  },
});
