#!/usr/bin/env node
// A trace file (STRATA_TRACE=<file>: one JSON line per cross-layer call) as a mermaid
// sequenceDiagram on stdout:   node scripts/trace-to-mermaid.mjs trace.jsonl [--title T] > run.mmd
// The conversion is scripts/diagrams/traceToMermaid.ts (bundled on the fly, like scripts/diagrams.mjs).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const titleAt = args.indexOf('--title');
const title = titleAt >= 0 ? args.splice(titleAt, 2)[1] : undefined;
if (args.length !== 1 || args[0] === '--help' || args[0] === '-h') {
  process.stderr.write('usage: node scripts/trace-to-mermaid.mjs TRACE.jsonl [--title TITLE] > DIAGRAM.mmd\n');
  process.exit(args[0] === '--help' || args[0] === '-h' ? 0 : 2);
}
const out = path.join(repo, 'node_modules/.cache/strata-trace-to-mermaid.mjs');
await esbuild.build({ entryPoints: [path.join(repo, 'scripts/diagrams/traceToMermaid.ts')], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error' });
const { parseTrace, traceToMermaid } = await import(`${out}?t=${Date.now()}`);
process.stdout.write(traceToMermaid(parseTrace(fs.readFileSync(args[0], 'utf8')), { title }));
