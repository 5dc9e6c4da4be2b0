// Every lab, end to end through the real strata-lab binary: start, a check that fails with
// hints, the reference solution, a check that passes, reset, and nothing left behind (lab
// directory, containers, cgroups, mounts, daemons).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LABS } from '../src/labs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(repo, 'tutorials/labs/dist/strata-lab.mjs');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-labs-'));
const isRoot = process.getuid?.() === 0;
const env: NodeJS.ProcessEnv = { ...process.env, STRATA_LAB_HOME: home, PATH: `${path.join(repo, 'node_modules/.cache/strata-tutorials/bin')}:${process.env.PATH}` };
delete env.NODE_EXTRA_CA_CERTS;

const lab = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env, timeout: 120_000, killSignal: 'SIGKILL' });

function leftovers(id: number): string[] {
  const found: string[] = [];
  const tag = `strata-lab-${id}`;
  for (const h of fs.readdirSync('/sys/fs/cgroup')) {
    const d = path.join('/sys/fs/cgroup', h, tag);
    if (fs.existsSync(d)) found.push(`cgroup ${d}`);
  }
  if (fs.existsSync(path.join('/sys/fs/cgroup', tag))) found.push(`cgroup /sys/fs/cgroup/${tag}`);
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) if (line.includes(home)) found.push(`mount ${line.split(' ')[4]}`);
  const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout;
  for (const l of ps.split('\n')) if (l.includes(home)) found.push(`process ${l}`);
  const list = spawnSync('strata-runtime', ['list', '-q'], { encoding: 'utf8', env }).stdout ?? '';
  for (const c of list.split('\n')) if (c.startsWith(tag) || c === `lab${id}`) found.push(`container ${c}`);
  return found;
}

afterAll(() => {
  for (const l of LABS) lab('reset', String(l.id));
  fs.rmSync(home, { recursive: true, force: true });
});

describe.skipIf(!isRoot || !fs.existsSync(bin))('strata lab', () => {
  it('lists every lab with its time', () => {
    const r = lab('list');
    expect(r.status).toBe(0);
    for (const l of LABS) expect(r.stdout).toMatch(new RegExp(`^${l.id}\\s+${l.minutes}\\s+-\\s+${l.title.replace(/[()]/g, '.')}$`, 'm'));
  });

  it('is reached as `strata lab` (a CLI plugin, as docker runs docker-buildx)', () => {
    const strata = path.join(repo, 'layers/engine/dist/strata.mjs');
    const r = spawnSync(process.execPath, [strata, 'lab', 'list'], { encoding: 'utf8', env, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(lab('list').stdout);
  });

  it('refuses unknown labs and commands with exit status 2', () => {
    expect(lab('check', '99')).toMatchObject({ status: 2, stderr: expect.stringMatching(/no lab "99"/) });
    expect(lab('frobnicate', '1')).toMatchObject({ status: 2, stderr: expect.stringMatching(/unknown command "frobnicate"/) });
    expect(lab('check', '1')).toMatchObject({ status: 2, stderr: expect.stringMatching(/not started/) });
  });

  for (const l of LABS) {
    it(`lab ${l.id} (${l.slug}): fails with hints, passes with the reference solution, resets clean`, () => {
      const started = lab('start', String(l.id));
      expect(started.status, started.stderr).toBe(0);
      const dir = path.join(home, `${String(l.id).padStart(2, '0')}-${l.slug}`);
      expect(fs.readFileSync(path.join(dir, 'TASK.txt'), 'utf8')).toContain(l.title);
      expect(lab('start', String(l.id))).toMatchObject({ status: 2, stderr: expect.stringMatching(/already started/) });

      const before = lab('check', String(l.id));
      expect(before.status).toBe(1);
      expect(before.stdout).toMatch(/✗ .*\n {4}→ \S/);

      const hints = [1, 2, 3].map(() => lab('hint', String(l.id)).stdout);
      expect(hints[0]).toMatch(/^hint 1\//);
      expect(hints[l.hints.length - 1]).toContain('(that was the last hint)');

      const sol = spawnSync('bash', ['-c', l.solution], { cwd: dir, encoding: 'utf8', env, timeout: 120_000 });
      expect(sol.error).toBeUndefined();
      const after = lab('check', String(l.id));
      expect(after.stdout, after.stdout).not.toContain('✗');
      expect(after.status).toBe(0);
      expect(lab('list').stdout).toMatch(new RegExp(`^${l.id}\\s+\\d+\\s+passed`, 'm'));

      expect(lab('reset', String(l.id)).status).toBe(0);
      expect(fs.existsSync(dir)).toBe(false);
      expect(leftovers(l.id)).toEqual([]);
    });
  }
});
