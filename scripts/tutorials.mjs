#!/usr/bin/env node
// npm run tutorials [-- options] [LESSON ...]: execute the lessons in tutorials/ (see tutorials/README.md).
// The runner is TypeScript (tutorials/runner/): bundle it to one module and run it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(repo, 'node_modules/.cache/strata-tutorials.mjs');
await esbuild.build({
  entryPoints: [path.join(repo, 'tutorials/runner/main.ts')],
  bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, logLevel: 'error',
});
const { main } = await import(`${out}?t=${Date.now()}`);
process.exitCode = await main(repo, process.argv.slice(2));
