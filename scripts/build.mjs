#!/usr/bin/env node
// Build every package: the native init helper (gcc) and one bundled JavaScript file per binary
// (esbuild), so no TypeScript tooling runs when a container starts.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rel = (...p) => path.join(root, ...p);

// 1. strata-init: static, so it starts without the dynamic loader (~1 ms saved per container)
//    and runs the same inside any rootfs.
fs.mkdirSync(rel('layers/linux/dist'), { recursive: true });
const init = rel('layers/linux/dist/strata-init');
execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-static', '-o', init, rel('layers/linux/native/strata-init.c')], { stdio: 'inherit' });

// 2. The JavaScript entry points. The shebang drops NODE_EXTRA_CA_CERTS (it makes every Node
//    start load the CA bundle: ~30 ms we never need) and skips Node's warnings machinery.
const shebang = '#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS node --no-warnings';
const banner = `${shebang}\nimport { createRequire as __strataRequire } from 'node:module'; const require = __strataRequire(import.meta.url);`;
const entries = [
  { in: 'layers/runtime/src/cli/bin.ts', out: 'layers/runtime/dist/strata-runtime.mjs', copyInit: true, split: true },
  { in: 'spec-tests/src/cli/bin.ts', out: 'spec-tests/dist/strata-spec-tests.mjs' },
  { in: 'layers/shim/src/cli/bin.ts', out: 'layers/shim/dist/containerd-shim-strata-v2.mjs', split: true },
  { in: 'layers/manager/src/cli/managerBin.ts', out: 'layers/manager/dist/strata-manager.mjs' },
  { in: 'layers/manager/src/cli/ctr/bin.ts', out: 'layers/manager/dist/strata-ctr.mjs' },
  { in: 'layers/cri/src/cli/criBin.ts', out: 'layers/cri/dist/strata-cri.mjs' },
  { in: 'layers/cri/src/cli/crictl/bin.ts', out: 'layers/cri/dist/strata-crictl.mjs' },
  { in: 'layers/engine/src/cli/engineBin.ts', out: 'layers/engine/dist/strata-engine.mjs' },
  { in: 'layers/engine/src/cli/strata/bin.ts', out: 'layers/engine/dist/strata.mjs' },
  { in: 'tutorials/labs/src/bin.ts', out: 'tutorials/labs/dist/strata-lab.mjs' },
];
const failed = [];
for (const e of entries) {
  if (!fs.existsSync(rel(e.in))) {
    console.warn(`build: skipping ${e.in} (not there yet)`);
    continue;
  }
  const outdir = path.dirname(rel(e.out));
  if (e.split) fs.rmSync(path.join(outdir, 'chunks'), { recursive: true, force: true });
  // One binary that does not build must not stop the others (a layer being written meanwhile):
  // every entry is tried, the failures are reported together, and the exit status says so.
  try {
  await esbuild.build({
    // Split binaries load each command's code on demand (chunks/), see layers/runtime/README.md.
    ...(e.split
      ? { entryPoints: { [path.basename(e.out, '.mjs')]: rel(e.in) }, outdir, splitting: true, chunkNames: 'chunks/[name]-[hash]', outExtension: { '.js': '.mjs' } }
      : { entryPoints: [rel(e.in)], outfile: rel(e.out) }),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // koffi ships a native .node module: it is loaded from node_modules at run time (lazily).
    // better-sqlite3 likewise (the manager's metadata database).
    external: ['koffi', 'better-sqlite3'],
    banner: { js: banner },
    minify: true,
    keepNames: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  } catch (err) {
    failed.push(`${e.in}: ${err.message.split('\n').slice(0, 3).join(' ')}`);
    continue;
  }
  fs.chmodSync(rel(e.out), 0o755);
  if (e.copyInit) fs.copyFileSync(init, path.join(path.dirname(rel(e.out)), 'strata-init'));
}
if (failed.length) {
  console.error(`build: ${failed.length} binary(ies) failed:\n  ${failed.join('\n  ')}`);
  process.exit(1);
}
console.log('build: ok');
