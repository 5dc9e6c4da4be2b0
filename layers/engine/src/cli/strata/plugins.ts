// CLI plugins, as the docker CLI has them (`docker buildx` runs docker-buildx): an unknown
// command NAME runs the program strata-NAME with the remaining arguments, when one exists on PATH
// (or, from a checkout, the bundle the repository builds for it). `strata lab` is such a plugin:
// the classroom labs (tutorials/labs, strata-lab).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Plugins the repository builds, by name: where their bundle sits relative to layers/. */
const IN_REPO: Record<string, string> = { lab: '../tutorials/labs/dist/strata-lab.mjs' };

export function findPlugin(name: string): string | undefined {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) return undefined;
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    const p = path.join(dir, `strata-${name}`);
    if (fs.existsSync(p)) return p;
  }
  const rel = IN_REPO[name];
  if (!rel) return undefined;
  for (let dir = path.dirname(fileURLToPath(import.meta.url)), i = 0; i < 6; i++, dir = path.dirname(dir)) {
    if (path.basename(dir) === 'layers') {
      const p = path.resolve(dir, rel);
      return fs.existsSync(p) ? p : undefined;
    }
  }
  return undefined;
}

/** Run the plugin with the terminal attached; its exit status is ours. */
export function runPlugin(file: string, args: string[]): number {
  const r = file.endsWith('.mjs') ? spawnSync(process.execPath, [file, ...args], { stdio: 'inherit' }) : spawnSync(file, args, { stdio: 'inherit' });
  if (r.error) throw r.error;
  return r.status ?? 128 + 9;
}
