// `ctr task exec -t` through strata-manager and Strata's shim: the runtime gets the pty to the
// shim through the console socket (connected before it joins the container's mount namespace),
// and an exec that fails to start with a terminal leaves the shim — and the task — running
// (the shim once died of the unhandled rejection of the terminal it never received).
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has, isRoot } from '@strata/shim/testing';
import { IMAGE, ManagerDaemon } from './harness';

describe.skipIf(!isRoot || !has('script'))('exec with a terminal through Strata\'s shim', () => {
  const m = new ManagerDaemon();
  beforeAll(() => {
    m.start();
    expect(m.ctr(['images', 'import', '/var/lib/strata/images/busybox.oci.tar']).status).toBe(0);
    expect(m.ctr(['run', '-d', '--runtime', 'io.containerd.strata.v2', IMAGE, 'tty1', 'sleep', '100']).status).toBe(0);
  });
  afterAll(() => m.stop());
  // script(1) gives ctr a terminal, as a user's shell would
  const execT = (execId: string, cmd: string) =>
    spawnSync('script', ['-qc', `ctr -a ${m.sock} -n ${m.ns} task exec -t --exec-id ${execId} tty1 ${cmd}`, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });

  it('runs the process on a terminal', () => {
    const r = execT('e1', 'tty');
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\r?$/m);
  }, 60_000);

  it('an exec that cannot start fails with the runtime\'s reason, and the task keeps running', () => {
    const r = execT('e2', 'no-such-command');
    expect(r.stdout).toMatch(/no-such-command.*not found/);
    expect(m.ctr(['tasks', 'ls']).stdout).toMatch(/^tty1\s+\d+\s+RUNNING/m);
    expect(execT('e3', 'tty').stdout).toMatch(/\/dev\/pts\/\d+/); // the shim still serves
  }, 60_000);
});
