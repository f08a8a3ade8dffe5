#!/usr/bin/env node
// aevb is written in TypeScript and run through tsx's loader (no build step): register it, then start the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/aevb.node.ts');
