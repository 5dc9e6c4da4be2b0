// Standard streams on the host's /dev/null (a detached container started with `</dev/null`, what
// shims and `ctr run -d` do) are swapped for the container's own /dev/null after pivot_root, as
// runc does. Otherwise the descriptor names a file on a mount the container does not have, and
// CRIU refuses to checkpoint the container ("external file"). Checked from inside: the mount an
// fd lives on (fdinfo's mnt_id) must be one of the container's mounts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseConfig, built, isRoot, leaks, runtimeBin, sandbox, uniqueId } from './helpers';

// For fd N: "N:inside" when its mount is in the container's mountinfo, "N:outside" otherwise.
const WHERE = 'for fd in 0 2; do m=$(sed -n "s/^mnt_id:[[:space:]]*//p" /proc/self/fdinfo/$fd); ' + 'if awk -v m="$m" \'$1 == m { found = 1 } END { exit !found }\' /proc/self/mountinfo; then echo "$fd:inside"; else echo "$fd:outside"; fi; done; readlink /proc/self/fd/0';

describe.skipIf(!isRoot || !built)('stdio on the host /dev/null', () => {
  const sb = sandbox();
  afterAll(() => sb.cleanup());

  it('fds 0 and 2 on the host /dev/null are reopened on the container /dev/null; a pipe on fd 1 stays', () => {
    const id = uniqueId('devnull');
    const bundle = sb.bundle(baseConfig(['sh', '-c', WHERE]));
    const nul = fs.openSync('/dev/null', 'r+');
    try {
      const r = spawnSync('node', [runtimeBin, '--root', path.join(sb.dir, 'root'), 'run', '-b', bundle, id], { stdio: [nul, 'pipe', nul], encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual(['0:inside', '2:inside', '/dev/null']);
    } finally {
      fs.closeSync(nul);
    }
    expect(leaks(id)).toEqual([]);
  }, 60_000);

  it('stdio that is not the null device is left as it is (the caller\'s pipe stays)', () => {
    const id = uniqueId('devnull');
    const bundle = sb.bundle(baseConfig(['sh', '-c', 'readlink /proc/self/fd/0']));
    const r = sb.rt(['run', '-b', bundle, id], { input: '' });
    expect(r.status).toBe(0);
    // Node's "pipe" stdio is a socketpair (libuv): either way, the caller's own descriptor.
    expect(r.stdout.trim()).toMatch(/^(pipe|socket):\[\d+\]$/);
    expect(leaks(id)).toEqual([]);
  }, 60_000);
});
