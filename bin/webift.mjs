#!/usr/bin/env node
// The `webift` CLI entry: `npx webift` works right after `npm ci` with no build step (see node-env.mjs).
import './node-env.mjs';

const { main } = await import('../src/node/cli.ts');
process.exitCode = await main(process.argv.slice(2));
