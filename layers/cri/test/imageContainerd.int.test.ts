// strata-cri on real containerd (Debian's 1.6, a private instance with its own CRI plugin off):
// the manager API is containerd's, so --manager-address pointing at containerd's socket must be
// all it takes. Images go to containerd's namespace k8s.io; ImageFsInfo reports the snapshotter
// directory containerd exports; a pod and a container run with containerd's runc shim.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRegistry } from '@strata/manager/testing';
import { defaultImage, has, isRoot, PrivateContainerd } from '@strata/shim/testing';
import { BUSYBOX, built, CriDaemon } from './harness';
import type { ImageFsInfoResponse, ImageStatusResponse } from '../src/api/protos';

const ready = isRoot && haveRegistry() && built() && has('containerd') && has('ctr');

describe.skipIf(!ready)('strata-cri with containerd as its manager', () => {
  const ctd = new PrivateContainerd();
  const cri = new CriDaemon();
  const ctrK8s = (args: string[]) => spawnSync('ctr', ['-a', ctd.sock, '-n', 'k8s.io', ...args], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });

  beforeAll(async () => {
    ctd.start();
    const imp = ctrK8s(['images', 'import', defaultImage]);
    if (imp.status !== 0) throw new Error(`ctr import: ${imp.stderr}`);
    // the harness's manager only stages busybox into the registry; strata-cri talks to containerd
    await cri.start({ importPause: false, args: ['--manager-address', ctd.sock, '--runtime', 'io.containerd.runc.v2'] });
  }, 180_000);

  afterAll(async () => {
    await cri.stop();
    for (const id of (ctrK8s(['t', 'ls', '-q']).stdout ?? '').split('\n').filter(Boolean)) ctrK8s(['t', 'kill', '-s', '9', id]);
    for (const id of (ctrK8s(['c', 'ls', '-q']).stdout ?? '').split('\n').filter(Boolean)) ctrK8s(['c', 'rm', id]);
    ctd.stop();
    expect(cri.leaks()).toEqual([]);
  }, 120_000);

  it('pulls into containerd through the mirror; containerd holds the CRI names in k8s.io', async () => {
    const c = cri.client();
    try {
      const r = await c.image('PullImage', { image: { image: BUSYBOX } }, { timeoutMs: 60_000 });
      const names = ctrK8s(['images', 'ls', '-q']).stdout.split('\n');
      expect(names).toEqual(expect.arrayContaining([BUSYBOX, r.imageRef]));
      const s = await c.image<ImageStatusResponse>('ImageStatus', { image: { image: r.imageRef } });
      expect(s.image?.repoTags).toEqual(expect.arrayContaining([BUSYBOX, 'strata.local/busybox:latest']));
      expect(s.image?.pinned).toBe(true); // it is also the sandbox image
    } finally {
      c.close();
    }
  });

  it("ImageFsInfo names containerd's overlayfs directory", async () => {
    const c = cri.client();
    try {
      const r = await c.image<ImageFsInfoResponse>('ImageFsInfo', {});
      expect(r.imageFilesystems[0].fsId?.mountpoint).toBe(path.join(ctd.dir, 'root', 'io.containerd.snapshotter.v1.overlayfs'));
      expect(r.imageFilesystems[0].usedBytes!.value).toBeGreaterThan(100_000);
    } finally {
      c.close();
    }
  });

  it('runs a pod and a container on containerd with strata-crictl', () => {
    const podFile = path.join(cri.dir, 'pod.json');
    const ctrFile = path.join(cri.dir, 'ctr.json');
    fs.writeFileSync(podFile, JSON.stringify({ metadata: { name: 'on-ctd', namespace: 'default', uid: `uid-onctd-${process.pid}`, attempt: 1 }, log_directory: path.join(cri.dir, 'logs'), linux: {} }));
    fs.writeFileSync(ctrFile, JSON.stringify({ metadata: { name: 'sleeper' }, image: { image: BUSYBOX }, command: ['sleep', '1000'], log_path: 'sleeper.log', linux: {} }));
    const p = cri.crictl(['runp', podFile]);
    expect(p.status, `${p.stderr}\n${cri.log()}`).toBe(0);
    const pod = p.stdout.trim();
    const c = cri.crictl(['create', pod, ctrFile, podFile]);
    expect(c.status, c.stderr).toBe(0);
    const ctr = c.stdout.trim();
    expect(cri.crictl(['start', ctr]).status).toBe(0);
    // the container is containerd's, run by the real runc shim
    expect(ctrK8s(['t', 'ls']).stdout).toMatch(new RegExp(`^${ctr}\\s+\\d+\\s+RUNNING`, 'm'));
    expect(ctrK8s(['c', 'info', ctr]).stdout).toContain('io.containerd.runc.v2');
    expect(cri.crictl(['exec', '-s', ctr, 'echo', 'via containerd']).stdout).toBe('via containerd\n');
    expect(cri.crictl(['rm', '-f', ctr]).status).toBe(0);
    expect(cri.crictl(['rmp', '-f', pod]).status).toBe(0);
    expect(ctrK8s(['c', 'ls', '-q']).stdout).toBe('');
  });
});
