#!/usr/bin/env node
// The `aevb` command. The published package runs the compiled CLI (dist/, made by `npm run build`, which
// `npm pack` runs first). A checkout of the repository has src/ and tsx (a devDependency) and runs the
// TypeScript sources directly, so developing needs no build step and never runs a stale dist/.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/aevb.node.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/cli/aevb.node.js');
}
