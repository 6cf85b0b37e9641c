#!/usr/bin/env node
// The `pagerless` command. Sources are TypeScript run through tsx, so a fresh clone needs no
// build step: `npm ci` and go.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
