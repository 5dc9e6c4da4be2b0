// npm run diagrams [-- --no-record] [-- --png DIR]   regenerate diagrams/ (and its SVGs)
// npm run diagrams:check                             fail when anything in diagrams/ is stale
// node scripts/diagrams.mjs --record-only NAME       make one recording and write its trace only
//                                                    (the CRIU guest of scripts/vm records so)
//
// Every diagram is generated:
//   - state diagrams from the layers' state tables (runtime lifecycle, shim processes);
//   - the architecture from the workspace's package.json files and each layer's protocols.ts;
//   - sequence diagrams from traces of real runs (root only; see record.ts), committed as
//     diagrams/traces/<name>.jsonl next to the .mmd drawn from them.
// SVGs are rendered with mermaid-cli (Chromium) next to each .mmd; each SVG starts with a comment
// holding the sha256 of the .mmd it was drawn from, and the check compares that hash (see
// diagrams/README.md for why not the SVG bytes).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { lifecycleMermaid } from '../../layers/runtime/src/lifecycleDiagram';
import { shimProcessMermaid } from '../../layers/shim/src/taskStatesDiagram';
import { managerLifecycleMermaid } from '../../layers/manager/src/lifecycleDiagram';
import { containerStatesMermaid as criContainerMermaid, sandboxStatesMermaid } from '../../layers/cri/src/runtime/statesDiagram';
import { containerStatesMermaid as engineContainerMermaid } from '../../layers/engine/src/statesDiagram';
import type { LayerProtocols } from '../../layers/linux/src/trace/stack';
import { architectureMermaid, packagesMermaid, type WorkspacePackage } from './architecture';
import { cannotRecord, machineSignature, onPath, Recorder, RECORDINGS, traceShape, traceText, type Recording } from './record';
import { parseTrace, traceToMermaid, type TraceRecord } from './traceToMermaid';

/** The workspaces of the root package.json that exist, with their protocols.ts (if any). */
export function workspacePackages(repo: string, declared: Record<string, LayerProtocols>): WorkspacePackage[] {
  const root = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { workspaces: string[] };
  const out: WorkspacePackage[] = [];
  for (const dir of root.workspaces) {
    const file = path.join(repo, dir, 'package.json');
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name: string; bin?: Record<string, string>; dependencies?: Record<string, string> };
    out.push({ dir, name: pkg.name, bins: Object.keys(pkg.bin ?? {}), dependencies: Object.keys(pkg.dependencies ?? {}), protocols: declared[dir] });
  }
  return out;
}

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
const svgStamp = (name: string, mmd: string) => `<!-- drawn by scripts/diagrams.mjs from ${name}, sha256 ${sha256(mmd)} -->`;

/** The signature file of a recording's trace: its own, or the one the others share. */
function signatureFile(tracesDir: string, rec?: Recording): string {
  return path.join(tracesDir, rec?.ownSignature ? `${rec.name}.recorded-on.txt` : 'recorded-on.txt');
}

function readSignature(file: string): string | undefined {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : undefined;
}

/** Why a recording is not made on this machine (the committed trace is used), or undefined. */
function whyNotRecorded(rec: Recording, check: boolean, here: string, tracesDir: string): string | undefined {
  const recordedOn = readSignature(signatureFile(tracesDir, rec));
  if (check && recordedOn !== undefined && recordedOn !== here) return `recorded on "${recordedOn}", this machine has "${here}"`;
  const missing = rec.needs.filter((b) => !onPath(b));
  if (missing.length) return `${missing.join(', ')} not on PATH`;
  return rec.unavailable?.();
}

function writeTrace(tracesDir: string, rec: Recording, trace: TraceRecord[], here: string): void {
  fs.mkdirSync(tracesDir, { recursive: true });
  fs.writeFileSync(path.join(tracesDir, `${rec.name}.jsonl`), traceText(trace));
  fs.writeFileSync(signatureFile(tracesDir, rec), `${here}\n`);
}

/**
 * --record-only NAME: record one scenario and write its trace and signature, nothing else (no
 * .mmd, no SVG: the machine that can record it may have no renderer, and the diagram is drawn
 * from the committed trace by a normal run elsewhere).
 */
async function recordOnly(name: string | undefined, tracesDir: string): Promise<number> {
  const rec = RECORDINGS.find((r) => r.name === name);
  if (!rec) {
    console.error(`diagrams: --record-only needs a recording name (${RECORDINGS.map((r) => r.name).join(', ')})`);
    return 2;
  }
  const here = machineSignature();
  const why = cannotRecord() ?? whyNotRecorded(rec, false, here, tracesDir);
  if (why) {
    console.error(`diagrams: cannot record ${rec.name} here: ${why}`);
    return 1;
  }
  const recorder = new Recorder();
  try {
    await rec.record(recorder);
    writeTrace(tracesDir, rec, recorder.take(), here);
  } finally {
    recorder.close();
  }
  console.log(`wrote diagrams/traces/${rec.name}.jsonl and ${path.basename(signatureFile(tracesDir, rec))} (${here})`);
  return 0;
}

export async function main(argv: string[], repo: string, declared: Record<string, LayerProtocols>): Promise<number> {
  const check = argv.includes('--check');
  const record = !argv.includes('--no-record');
  const pngAt = argv.indexOf('--png');
  const pngDir = pngAt >= 0 ? argv[pngAt + 1] : undefined;
  const dir = path.join(repo, 'diagrams');
  const tracesDir = path.join(dir, 'traces');
  const problems: string[] = [];
  const onlyAt = argv.indexOf('--record-only');
  if (onlyAt >= 0) return recordOnly(argv[onlyAt + 1], tracesDir);

  const diagrams = new Map<string, string>();
  diagrams.set('runtime-lifecycle.mmd', lifecycleMermaid());
  diagrams.set('shim-process.mmd', shimProcessMermaid());
  diagrams.set('manager-container-task.mmd', managerLifecycleMermaid());
  diagrams.set('cri-sandbox.mmd', sandboxStatesMermaid());
  diagrams.set('cri-container.mmd', criContainerMermaid());
  diagrams.set('engine-container.mmd', engineContainerMermaid());
  const workspace = workspacePackages(repo, declared);
  diagrams.set('architecture.mmd', architectureMermaid(workspace));
  diagrams.set('packages.mmd', packagesMermaid(workspace));

  // Sequence diagrams: from the committed trace, after checking it against a fresh recording.
  // Recordings are compared only on the kind of machine they were made on: a cgroup v2 host joins
  // one hierarchy where our v1 hybrid hosts join nine, a different trace for the same run. Most
  // traces share diagrams/traces/recorded-on.txt; one made elsewhere (the CRIU guest) has its own.
  const here = machineSignature();
  const globalWhy = record ? cannotRecord() : 'recording skipped (--no-record)';
  if (globalWhy) console.log(`diagrams: ${globalWhy}; the sequence diagrams are checked against their committed traces only`);
  const sharedOn = readSignature(signatureFile(tracesDir));
  const sharedOther = check && sharedOn !== undefined && sharedOn !== here ? `the traces were recorded on "${sharedOn}", this machine has "${here}"` : undefined;
  if (!globalWhy && sharedOther) console.log(`diagrams: ${sharedOther}; the sequence diagrams recorded there are checked against their committed traces only`);
  const recorder = globalWhy ? undefined : new Recorder();
  try {
    for (const rec of RECORDINGS) {
      const file = path.join(tracesDir, `${rec.name}.jsonl`);
      const committed = fs.existsSync(file) ? parseTrace(fs.readFileSync(file, 'utf8')) : undefined;
      let trace: TraceRecord[] | undefined = committed;
      const why = recorder ? whyNotRecorded(rec, check, here, tracesDir) : globalWhy;
      if (recorder && why && !(sharedOther && !rec.ownSignature)) console.log(`diagrams: ${rec.name}: not recorded (${why})${committed ? '; checked against its committed trace' : ''}`);
      if (recorder && !why) {
        // A recording whose shape (see traceShape: each Strata program's calls in order, the real
        // programs' calls in any order; never times) equals the committed one leaves the committed
        // file, and so the diagram, alone. A slow machine can still add a call (one more State
        // poll by containerd): the check records up to three times before it calls a difference real.
        let fresh: TraceRecord[] = [];
        for (let attempt = 1; attempt <= (check ? 3 : 1); attempt++) {
          await rec.record(recorder);
          fresh = recorder.take();
          if (committed && traceShape(fresh, rec.unordered) === traceShape(committed, rec.unordered)) break;
        }
        if (!committed || traceShape(fresh, rec.unordered) !== traceShape(committed, rec.unordered)) {
          if (check) problems.push(`diagrams/traces/${rec.name}.jsonl differs from a fresh recording: run npm run diagrams\n${firstDifference(committed ?? [], fresh)}`);
          else {
            writeTrace(tracesDir, rec, fresh, here);
            console.log(`wrote diagrams/traces/${rec.name}.jsonl`);
            trace = fresh;
          }
        }
      }
      if (trace) diagrams.set(`${rec.name}.mmd`, traceToMermaid(trace, { title: rec.title }));
      else problems.push(`diagrams/traces/${rec.name}.jsonl is missing: run npm run diagrams as root${rec.unavailable ? ' on a machine where it can be recorded' : ''}`);
    }
  } finally {
    recorder?.close();
  }

  // The .mmd files.
  for (const [name, text] of diagrams) {
    const file = path.join(dir, name);
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    if (current === text) continue;
    if (check) problems.push(`diagrams/${name} is stale: run npm run diagrams`);
    else {
      fs.writeFileSync(file, text);
      console.log(`wrote diagrams/${name}`);
    }
  }
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.mmd') && !diagrams.has(f))) problems.push(`diagrams/${f} is generated by nothing: remove it or add its generator`);

  // The SVGs: each must carry the hash of its .mmd.
  const stale = [...diagrams.keys()].filter((name) => {
    const svg = path.join(dir, name.replace(/\.mmd$/, '.svg'));
    return !fs.existsSync(svg) || !fs.readFileSync(svg, 'utf8').startsWith(svgStamp(name, diagrams.get(name)!));
  });
  if (check) {
    for (const name of stale) problems.push(`diagrams/${name.replace(/\.mmd$/, '.svg')} was not drawn from the current ${name}: run npm run diagrams`);
  } else if (stale.length || pngDir) {
    const { render, rendererMissing } = await import('./render');
    const missing = rendererMissing();
    if (missing) problems.push(`cannot render SVGs: ${missing}`);
    else {
      const jobs = stale.map((name) => ({ mmd: diagrams.get(name)!, out: path.join(dir, name.replace(/\.mmd$/, '.svg')), stamp: svgStamp(name, diagrams.get(name)!) }));
      if (pngDir) {
        fs.mkdirSync(pngDir, { recursive: true });
        for (const [name, mmd] of diagrams) jobs.push({ mmd, out: path.join(pngDir, name.replace(/\.mmd$/, '.png')), stamp: '' });
      }
      await render(jobs);
      for (const j of jobs) console.log(`wrote ${path.relative(repo, j.out).startsWith('..') ? j.out : path.relative(repo, j.out)}`);
    }
  }

  for (const p of problems) console.error(p);
  if (check && !problems.length) console.log(`diagrams: ${diagrams.size} diagrams and their SVGs are up to date`);
  return problems.length ? 1 : 0;
}

/** The first line where two traces' shapes differ, for the check's message. */
function firstDifference(a: readonly TraceRecord[], b: readonly TraceRecord[]): string {
  const x = traceShape(a).split('\n');
  const y = traceShape(b).split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) {
      const lane = x.slice(0, i + 1).reverse().find((l) => !l.startsWith(' ')) ?? '';
      return `  ${lane}\n    committed: ${x[i] ?? '(none)'}\n    recorded:  ${y[i] ?? '(none)'}`;
    }
  }
  return '';
}
