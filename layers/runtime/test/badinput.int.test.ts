// Bad input: a clear error naming the field or argument, a non-zero exit, and nothing left behind.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandbox, baseConfig, leaks, isRoot, built, uniqueId, type Sandbox } from './helpers';

describe.skipIf(!isRoot || !built)('bad input (real binary)', () => {
  let sb: Sandbox;
  beforeAll(() => {
    sb = sandbox();
  });
  afterAll(() => sb.cleanup());

  const createFails = (id: string, bundle: string, expected: RegExp) => {
    const r = sb.rt(['create', '--bundle', bundle, id]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(expected);
    expect(fs.existsSync(path.join(sb.root, id))).toBe(false);
    expect(leaks(id, [sb.root])).toEqual([]);
  };

  it('invalid JSON names the position', () => {
    const b = path.join(sb.dir, 'badjson');
    fs.mkdirSync(b);
    fs.writeFileSync(path.join(b, 'config.json'), '{"ociVersion": "1.0.2",\n "process": {,}}');
    createFails(uniqueId('json'), b, /config\.json.*(line 2|position|column)/i);
  });

  it('a schema violation names the JSON pointer', () => {
    const cfg = baseConfig(['true']);
    cfg.linux.resources.memory = { limit: '64M' };
    createFails(uniqueId('schema'), sb.bundle(cfg), /\/linux\/resources\/memory\/limit/);
  });

  it('a semantic violation names the JSON pointer (relative cwd)', () => {
    const cfg = baseConfig(['true']);
    cfg.process.cwd = 'relative/dir';
    createFails(uniqueId('cwd'), sb.bundle(cfg), /\/process\/cwd/);
  });

  it('a missing rootfs is reported', () => {
    const cfg = baseConfig(['true']);
    const b = sb.bundle(cfg);
    const c = JSON.parse(fs.readFileSync(path.join(b, 'config.json'), 'utf8'));
    c.root.path = path.join(sb.dir, 'no-such-rootfs');
    fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(c));
    createFails(uniqueId('rootfs'), b, /rootfs .*does not exist/);
  });

  it('a missing executable fails create (like runc), leaving nothing', () => {
    createFails(uniqueId('noexe'), sb.bundle(baseConfig(['/no/such/program'])), /no such file or directory/);
  });

  it('a missing bind source names the mount', () => {
    const cfg = baseConfig(['true']);
    cfg.mounts.push({ destination: '/x', type: 'bind', source: '/no/such/dir', options: ['rbind'] });
    createFails(uniqueId('bind'), sb.bundle(cfg), /\/mounts\/7\/source/);
  });

  it('an unknown cgroup value is refused and the cgroup removed', () => {
    const cfg = baseConfig(['true']);
    cfg.linux.resources.cpu = { cpus: 'not-a-cpu-list' };
    createFails(uniqueId('cpus'), sb.bundle(cfg), /cpu/);
  });

  it.each([
    ['../x', /invalid container ID/],
    ['', /cannot be empty|requires exactly 1|invalid container ID/],
    ['a'.repeat(1025), /invalid container ID/],
    ['a/b', /invalid container ID/],
  ])('refuses container id %j', (id, re) => {
    const r = sb.rt(['create', '--bundle', sb.bundle(baseConfig(['true'])), id]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(re);
    expect(fs.existsSync(sb.root) ? fs.readdirSync(sb.root) : []).toEqual([]);
  });

  it('unknown commands and flags fail with a usage error', () => {
    const a = sb.rt(['frobnicate']);
    expect(a.status).not.toBe(0);
    expect(a.stderr).toMatch(/frobnicate/);
    const b = sb.rt(['create', '--no-such-flag', 'x']);
    expect(b.status).not.toBe(0);
    expect(b.stderr).toMatch(/no-such-flag/);
  });

  it('operations on an unknown id say "does not exist"', () => {
    for (const verb of [['state'], ['start'], ['kill'], ['delete'], ['pause'], ['exec', '--'], ['ps']]) {
      const r = sb.rt([...verb.slice(0, 1), 'no-such-container', ...(verb[0] === 'exec' ? ['true'] : [])]);
      expect(r.status, verb.join(' ')).not.toBe(0);
      expect(r.stderr, verb.join(' ')).toContain('does not exist');
    }
    expect(sb.rt(['delete', '--force', 'no-such-container']).status).toBe(0);
  });

  it('--systemd-cgroup is refused clearly', () => {
    const r = sb.rt(['--systemd-cgroup', 'list']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/systemd/);
  });
});
