#!/usr/bin/env node
// npm run diagrams: regenerate diagrams/*.mmd from the code's state tables.
// npm run diagrams:check: fail when a committed diagram differs from what the code draws.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The generators are TypeScript: bundle them to a temporary module and import it.
const out = path.join(repo, 'node_modules/.cache/strata-diagrams.mjs');
await esbuild.build({
  stdin: {
    contents: "export { lifecycleMermaid } from './layers/runtime/src/lifecycleDiagram'; export { shimProcessMermaid } from './layers/shim/src/taskStatesDiagram';",
    resolveDir: repo,
    loader: 'ts',
  },
  bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error',
});
const gen = await import(`${out}?t=${Date.now()}`);
const diagrams = { 'runtime-lifecycle.mmd': gen.lifecycleMermaid(), 'shim-process.mmd': gen.shimProcessMermaid() };
const check = process.argv.includes('--check');
let stale = 0;
for (const [name, text] of Object.entries(diagrams)) {
  const file = path.join(repo, 'diagrams', name);
  if (check) {
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) {
      console.error(`diagrams/${name} is stale: run npm run diagrams`);
      stale++;
    }
  } else {
    fs.writeFileSync(file, text);
    console.log(`wrote diagrams/${name}`);
  }
}
process.exit(stale ? 1 : 0);
