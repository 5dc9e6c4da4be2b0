// The runtime service over real containerd instead of strata-manager (the CRI only talks the
// containerd API, so the manager is swappable): a pod with the real runc shim, a container in
// it with a security context, exec, logs, stop, remove, nothing left behind.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has } from '@strata/shim/testing';
import { RuntimeHarness, ready, sh } from './runtimeHarness';

describe.skipIf(!ready || !has('containerd') || !has('containerd-shim-runc-v2'))('CRI runtime service over real containerd', () => {
  const h = new RuntimeHarness({ containerd: true });
  const pods: string[] = [];
  beforeAll(async () => {
    h.start();
    await h.service({ runtime: 'io.containerd.runc.v2' });
  }, 60_000);
  afterAll(async () => {
    await h.stop();
  });

  it('pod and container lifecycle with containerd + runc', async () => {
    const svc = h.svc;
    const cfg = h.podConfig('ctd');
    const { podSandboxId } = await svc.RunPodSandbox({ config: cfg });
    pods.push(podSandboxId);
    expect((await svc.PodSandboxStatus({ podSandboxId })).status.network!.ip).toMatch(/^10\./);
    const { containerId } = await svc.CreateContainer({ podSandboxId, config: h.containerConfig('c', ['sh', '-c', 'echo via-containerd; sleep 300'], { linux: { securityContext: { runAsUser: { value: 4242 }, capabilities: { dropCapabilities: ['ALL'] }, noNewPrivs: true } } }), sandboxConfig: cfg });
    await svc.StartContainer({ containerId });
    expect((await sh(svc, containerId, 'id -u; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status | tr -s "\\t " " "')).out).toBe('4242\nCapEff: 0000000000000000\nNoNewPrivs: 1');
    const log = path.join(cfg.logDirectory, 'c.log');
    const end = Date.now() + 5_000;
    while (Date.now() < end && !(fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('via-containerd'))) await new Promise((r) => setTimeout(r, 100));
    expect(fs.readFileSync(log, 'utf8')).toMatch(/Z stdout F via-containerd\n$/);
    await svc.StopContainer({ containerId, timeout: 0 });
    expect((await svc.ContainerStatus({ containerId })).status).toMatchObject({ state: 2, exitCode: 137 });
    await svc.RemovePodSandbox({ podSandboxId });
    expect(h.leaks(pods, [containerId])).toEqual({ netns: [], veths: [], ips: [], portmapRules: [], managerContainers: '', cgroups: [] });
  }, 90_000);
});
