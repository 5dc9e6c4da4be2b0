#!/usr/bin/env node
// npm run diagrams: regenerate everything in diagrams/ (state tables, architecture, traces of real
// runs when root, SVGs); npm run diagrams:check: fail when anything there is stale.
// Options: --no-record (use the committed traces), --png DIR (also render every diagram as PNG).
// The generators are TypeScript (scripts/diagrams/*.ts): bundle them to a temporary module and
// import it, together with each workspace's src/protocols.ts (its place in the stack).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { workspaces } = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
const declaring = workspaces.filter((dir) => fs.existsSync(path.join(repo, dir, 'src/protocols.ts')));
const out = path.join(repo, 'node_modules/.cache/strata-diagrams.mjs');
await esbuild.build({
  stdin: {
    contents: [
      "export { main } from './scripts/diagrams/main';",
      ...declaring.map((dir, i) => `import { protocols as p${i} } from './${dir}/src/protocols';`),
      `export const declared = { ${declaring.map((dir, i) => `${JSON.stringify(dir)}: p${i}`).join(', ')} };`,
    ].join('\n'),
    resolveDir: repo,
    loader: 'ts',
  },
  bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error',
  // CommonJS dependencies (grpc-js, reached through the CRI and engine state tables' imports)
  // call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __strataRequire } from 'node:module'; const require = __strataRequire(import.meta.url);" },
  // mermaid-cli and puppeteer load at run time from node_modules (only when rendering).
  external: ['@mermaid-js/mermaid-cli', 'puppeteer', 'koffi', 'better-sqlite3'],
});
const gen = await import(`${out}?t=${Date.now()}`);
process.exitCode = await gen.main(process.argv.slice(2), repo, gen.declared);
