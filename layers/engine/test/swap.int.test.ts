// The swap at the engine's lower interface: strata-engine on a private *real containerd*
// (--containerd), running containers with the real runc shim (--default-runtime
// io.containerd.runc.v2), driven by the real docker CLI. The engine cannot tell which manager it has.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has } from '@strata/shim/testing';
import { EngineDaemon, haveDocker } from './engineHarness';

const ready = process.getuid?.() === 0 && haveDocker && has('containerd') && has('runc') && fs.existsSync('/var/lib/strata/images/busybox.oci.tar');

describe.skipIf(!ready)('docker CLI -> strata-engine -> containerd -> runc shim -> runc', () => {
  const e = new EngineDaemon(['--default-runtime', 'io.containerd.runc.v2'], 'containerd');
  const d = (...args: string[]) => e.docker(args);
  beforeAll(() => e.start(), 90_000);
  afterAll(() => e.stop(), 60_000);

  it('runs, execs, logs, stops and removes containers on real containerd', () => {
    expect(d('info', '--format', '{{.DefaultRuntime}}').stdout.trim()).toBe('io.containerd.runc.v2');
    const r = d('run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'echo on-containerd; exit 2');
    expect([r.status, r.stdout]).toEqual([2, 'on-containerd\n']);
    d('run', '-d', '--name', 'c1', 'busybox', 'sh', '-c', 'echo hi; sleep 1000');
    expect(d('exec', 'c1', 'echo', 'exec-ok').stdout).toBe('exec-ok\n');
    expect(d('logs', 'c1').stdout).toBe('hi\n');
    // the task is containerd's, in namespace moby, run by the runc shim
    expect(e.ctr(['t', 'ls']).stdout).toMatch(/RUNNING/);
    expect(d('stop', '-t', '1', 'c1').status).toBe(0);
    expect(d('rm', 'c1').status).toBe(0);
    expect(e.leaks()).toEqual([]);
  }, 120_000);
});
