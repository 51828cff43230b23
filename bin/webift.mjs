#!/usr/bin/env node
// The `webift` CLI entry: runs the TypeScript sources through tsx (a dependency), so `npx webift` works right
// after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/node/cli.ts');
process.exitCode = await main(process.argv.slice(2));
