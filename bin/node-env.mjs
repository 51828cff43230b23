// The Node environment every webift entry point runs in (the CLI, bench scripts: `node --import ./bin/node-env.mjs
// script.ts`): TypeScript through tsx, and tfjs loaded as ES modules like Vite and Vitest load it
// (tfjs-esm-hooks.mjs explains why).
import { createRequire, register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

// tfjs-core's ESM build calls a bare `require('util')` on Node (platform_node); give ES module scope one.
globalThis.require ??= createRequire(import.meta.url);
registerHooks('./tfjs-esm-hooks.mjs', import.meta.url);
register();
