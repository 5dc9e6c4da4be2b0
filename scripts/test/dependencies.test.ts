// Dependencies point downward only (design README): linux <- oci <- runtime <- spec-tests ...
// A layer may import a lower layer by package name, never a higher one, and never another
// package's files by relative path.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// Lower index = lower layer. A package may depend on packages with a lower rank only.
const RANK: Record<string, number> = { linux: 0, oci: 0, runtime: 1, 'spec-tests': 2, shim: 2, manager: 3, cni: 3, cri: 4, engine: 4 };
const pkgDir = (name: string) => (name === 'spec-tests' ? path.join(repo, 'spec-tests') : path.join(repo, 'layers', name));

function sources(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|mts|mjs)$/.test(e.name))
    .map((e) => path.join(e.parentPath ?? (e as any).path, e.name));
}

describe('layering', () => {
  for (const name of Object.keys(RANK).filter((n) => fs.existsSync(pkgDir(n)))) {
    it(`${name} imports only lower layers`, () => {
      const bad: string[] = [];
      for (const f of [...sources(path.join(pkgDir(name), 'src')), ...sources(path.join(pkgDir(name), 'test'))]) {
        const text = fs.readFileSync(f, 'utf8');
        for (const m of text.matchAll(/from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
          const spec = m[1] ?? m[2];
          const dep = /^@strata\/([\w-]+)/.exec(spec)?.[1];
          if (dep && dep !== name && !(RANK[dep] < RANK[name])) bad.push(`${path.relative(repo, f)} imports @strata/${dep}`);
          if (spec.startsWith('.')) {
            const target = path.resolve(path.dirname(f), spec);
            if (!target.startsWith(pkgDir(name) + path.sep)) bad.push(`${path.relative(repo, f)} reaches outside its package: ${spec}`);
          }
        }
      }
      expect(bad).toEqual([]);
    });
  }
  it('linux and oci do not depend on each other', () => {
    for (const [a, b] of [['linux', 'oci'], ['oci', 'linux']]) {
      const deps = JSON.parse(fs.readFileSync(path.join(pkgDir(a), 'package.json'), 'utf8')).dependencies ?? {};
      expect(Object.keys(deps)).not.toContain(`@strata/${b}`);
    }
  });
});
