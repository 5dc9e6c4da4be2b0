// The command line as callers see it: help, version, spec, features, and the JSON log lines
// containerd's shim reads from --log.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateFeatures } from '@strata/oci';
import { runtimeBin, built, isRoot } from './helpers';

const rt = (args: string[], cwd?: string) => {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return spawnSync('node', [runtimeBin, ...args], { encoding: 'utf8', cwd, env });
};

describe.skipIf(!built)('strata-runtime command line', () => {
  it('prints help listing runc\'s commands, and the version with the spec version', () => {
    const h = rt(['--help']);
    expect(h.status).toBe(0);
    for (const c of ['create', 'start', 'run', 'state', 'list', 'kill', 'delete', 'exec', 'ps', 'pause', 'resume', 'events', 'update', 'spec', 'features']) expect(h.stdout).toMatch(new RegExp(`\\n\\s+${c}\\b`));
    expect(rt(['exec', '--help']).stdout).toMatch(/--console-socket/);
    const v = rt(['--version']);
    expect(v.stdout).toMatch(/^strata-runtime version \d+\.\d+\.\d+\nspec: 1\.2\.0\n/);
  });

  it('spec writes the config runc spec writes, and refuses to overwrite it', () => {
    const a = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cli-'));
    const b = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cli-'));
    expect(rt(['spec'], a).status).toBe(0);
    expect(spawnSync('runc', ['spec'], { cwd: b }).status).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(a, 'config.json'), 'utf8'))).toEqual(JSON.parse(fs.readFileSync(path.join(b, 'config.json'), 'utf8')));
    const again = rt(['spec'], a);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('File config.json exists. Remove it first.');
    for (const d of [a, b]) fs.rmSync(d, { recursive: true, force: true });
  });

  it('features is a valid features.md document', () => {
    const f = rt(['features']);
    expect(f.status).toBe(0);
    const doc = JSON.parse(f.stdout);
    expect(validateFeatures(doc)).toEqual([]);
    expect(doc.linux.namespaces).toContain('user');
    expect(doc.linux.cgroup).toMatchObject({ v1: true, v2: true, systemd: false });
  });

  it.skipIf(!isRoot)('writes errors as JSON lines to --log with --log-format json (what containerd-shim-runc-v2 reads)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cli-'));
    const log = path.join(dir, 'log.json');
    const r = rt(['--root', dir, '--log', log, '--log-format', 'json', 'state', 'nope']);
    expect(r.status).toBe(1);
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ level: 'error', msg: expect.stringContaining('does not exist') });
    expect(Date.parse(lines.at(-1).time)).toBeGreaterThan(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('kill understands signal names and numbers, and refuses unknown ones', () => {
    const r = rt(['--root', os.tmpdir(), 'kill', 'nope', 'SIGFOO']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown signal \\?"SIGFOO/); // logrus-style text escapes the quotes
  });
});
