// Where does a container without linux.cgroupsPath go on cgroup v2? Below the *parent* of the
// caller's cgroup, as runc does (libcontainer/cgroups/fs2): the caller's own cgroup holds
// processes, so a child of it cannot get domain controllers, and once a threaded controller such
// as pids is enabled there (systemd units, cloud-init's cloud-final.service) it is a thread root
// whose new children refuse processes with EOPNOTSUPP. Found by the classroom VM proof, where
// `strata-runtime run` from cloud-init failed with "join cgroup .../cloud-final.service/<id>:
// Operation not supported". Pure cgroup v2 only (npm run test:cgroup-v2 runs it in the guest).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroupLayout } from '@strata/linux';
import { baseConfig, built, isRoot, leaks, runtimeBin, sandbox, uniqueId, type Sandbox } from './helpers';

const pureV2 = (() => {
  try {
    return detectCgroupLayout().version === 2;
  } catch {
    return false;
  }
})();

describe.skipIf(!isRoot || !built || !pureV2)('a container without cgroupsPath, run from a busy cgroup (v2)', () => {
  let sb: Sandbox; // made in beforeAll: a skipped describe must not leave its temp dir
  const parent = path.join('/sys/fs/cgroup', uniqueId('strata-caller'));
  const unit = path.join(parent, 'unit.service');
  beforeAll(() => {
    sb = sandbox();
  });
  afterAll(() => {
    sb?.cleanup();
    for (const d of [unit, parent]) {
      try {
        fs.rmdirSync(d);
      } catch {
        // gone already
      }
    }
  });

  it('goes below the caller\'s parent cgroup, next to the caller, and runs', () => {
    fs.mkdirSync(unit, { recursive: true });
    const id = uniqueId('callercg');
    const cfg = baseConfig(['cat', '/proc/self/cgroup']);
    // Without a cgroup namespace /proc/self/cgroup shows the full path.
    cfg.linux.namespaces = cfg.linux.namespaces.filter((n: { type: string }) => n.type !== 'cgroup');
    const bundle = sb.bundle(cfg);
    // The caller: a shell in unit.service that turns on pids for the unit's children (a thread
    // root, like a systemd unit with delegated controllers), then becomes the runtime.
    const script = `echo +pids > ${parent}/cgroup.subtree_control && echo $$ > ${unit}/cgroup.procs && echo +pids > ${unit}/cgroup.subtree_control && exec "$@"`;
    const r = spawnSync('sh', ['-c', script, 'sh', process.execPath, runtimeBin, '--root', path.join(sb.dir, 'root'), 'run', '-b', bundle, id], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`0::/${path.basename(parent)}/${id}`);
    expect(fs.existsSync(path.join(parent, id))).toBe(false); // run deleted it
    expect(leaks(id)).toEqual([]);
  }, 120_000);
});
