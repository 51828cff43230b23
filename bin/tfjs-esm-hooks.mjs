// Node resolve hooks that load tfjs as ES modules, the same build Vite and Vitest use. tfjs 4.22's Node `main` is
// a CommonJS bundle WITHOUT gradient registrations, and its ESM build uses extensionless and directory imports
// that Node's ESM loader refuses, and it reads `seedrandom.alea` off a CJS namespace (seedrandom-esm.mjs). Here: bare `@tensorflow/*` -> the package's `module` entry; a relative import
// inside @tensorflow/*/dist that names no file -> `.js` or `/index.js`. Everything else is left alone.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as path from 'node:path';

const require = createRequire(import.meta.url);

export async function resolve(specifier, context, next) {
  if (specifier === 'seedrandom' && context.parentURL?.includes('/@tensorflow/')) {
    return { url: new URL('./seedrandom-esm.mjs', import.meta.url).href, format: 'module', shortCircuit: true };
  }
  const bare = /^(@tensorflow\/[^/]+)$/.exec(specifier);
  if (bare) {
    const pkgJson = require.resolve(`${bare[1]}/package.json`, { paths: [context.parentURL ? path.dirname(fileURLToPath(context.parentURL)) : process.cwd()] });
    const pkg = JSON.parse(readFileSync(pkgJson, 'utf8'));
    if (pkg.module) return { url: pathToFileURL(path.join(path.dirname(pkgJson), pkg.module)).href, format: 'module', shortCircuit: true };
  }
  if (/^@tensorflow\/[^/]+\/dist\/.+/.test(specifier) && !specifier.endsWith('.js') && !specifier.endsWith('.wasm')) {
    return resolve(`${specifier}.js`, context, next);
  }
  if ((specifier.startsWith('./') || specifier.startsWith('../')) && context.parentURL?.includes('/@tensorflow/') && context.parentURL.includes('/dist/')) {
    const base = path.resolve(path.dirname(fileURLToPath(context.parentURL)), specifier);
    const isFile = (p) => existsSync(p) && statSync(p).isFile();
    if (!isFile(base)) {
      for (const cand of [`${base}.js`, path.join(base, 'index.js')]) {
        if (isFile(cand)) return { url: pathToFileURL(cand).href, format: 'module', shortCircuit: true };
      }
    }
  }
  return next(specifier, context);
}
