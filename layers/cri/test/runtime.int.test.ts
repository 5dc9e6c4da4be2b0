// CriRuntimeService against a real strata-manager, real shims and runtimes, real CNI plugins:
// pod and container lifecycle, logs, exec, networking between pods, a published port.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { inNetns } from '@strata/cni';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriError } from '../src/runtime/errors';
import { RuntimeHarness, ready, sh } from './runtimeHarness';

describe.skipIf(!ready)('CRI runtime service: pods and containers', () => {
  const h = new RuntimeHarness();
  const pods: string[] = [];
  beforeAll(async () => {
    h.start();
    await h.service();
  }, 60_000);
  afterAll(async () => {
    await h.stop();
  });

  it('runs a pod, a container in it, logs its output in the CRI format, stops and removes everything', async () => {
    const svc = h.svc;
    const cfg = h.podConfig('lifecycle', { labels: { app: 'lc' } });
    const { podSandboxId } = await svc.RunPodSandbox({ config: cfg });
    pods.push(podSandboxId);
    const st = await svc.PodSandboxStatus({ podSandboxId });
    expect(st.status.state).toBe(0);
    expect(st.status.network?.ip).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect((await svc.ListPodSandbox({ filter: { labelSelector: { app: 'lc' } } })).items.map((p) => p.id)).toEqual([podSandboxId]);

    const { containerId } = await svc.CreateContainer({ podSandboxId, config: h.containerConfig('c1', ['sh', '-c', 'echo hello; echo oops >&2; hostname; sleep 300']), sandboxConfig: cfg });
    expect((await svc.ContainerStatus({ containerId })).status.state).toBe(0);
    await svc.StartContainer({ containerId });
    expect((await svc.ContainerStatus({ containerId })).status.state).toBe(1);
    const logFile = path.join(cfg.logDirectory, 'c1.log');
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && (!fs.existsSync(logFile) || fs.readFileSync(logFile, 'utf8').split('\n').length < 4)) await new Promise((r) => setTimeout(r, 100));
    const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n');
    expect(lines.length).toBe(3);
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z (stdout|stderr) F /);
    expect(lines.map((l) => l.split(' ').slice(1).join(' ')).sort()).toEqual(['stderr F oops', 'stdout F hello', 'stdout F lifecycle'].sort());

    const r = await sh(svc, containerId, 'echo $((6*7)); exit 3');
    expect(r).toMatchObject({ out: '42', code: 3 });

    await svc.StopContainer({ containerId, timeout: 1 });
    const cs = (await svc.ContainerStatus({ containerId })).status;
    expect(cs.state).toBe(2);
    expect(cs.exitCode).toBe(137); // sh ignores SIGTERM as pid 1 -> killed after the timeout
    expect(cs.reason).toBe('Error');
    await svc.StopPodSandbox({ podSandboxId });
    expect((await svc.PodSandboxStatus({ podSandboxId })).status.state).toBe(1);
    await svc.StopPodSandbox({ podSandboxId }); // idempotent
    await svc.RemovePodSandbox({ podSandboxId });
    await svc.RemovePodSandbox({ podSandboxId }); // idempotent
    await expect(svc.PodSandboxStatus({ podSandboxId })).rejects.toMatchObject({ grpcCode: 5 });
    await expect(svc.ContainerStatus({ containerId })).rejects.toMatchObject({ grpcCode: 5 });
    expect(h.leaks(pods, [containerId])).toEqual({ netns: [], veths: [], ips: [], portmapRules: [], managerContainers: '', cgroups: [] });
    expect(h.manager.bundles?.()).toEqual([]);
  }, 60_000);

  it('refuses bad container requests with the field named, and a failed start leaves an EXITED container and nothing else', async () => {
    const svc = h.svc;
    const cfg = h.podConfig('badreq');
    const { podSandboxId } = await svc.RunPodSandbox({ config: cfg });
    pods.push(podSandboxId);
    await expect(svc.RunPodSandbox({ config: cfg })).rejects.toMatchObject({ grpcCode: 6 }); // same name/namespace/uid/attempt
    const ctr = (name: string, extra: Record<string, unknown> = {}) => svc.CreateContainer({ podSandboxId, config: h.containerConfig(name, ['sleep', '300'], extra), sandboxConfig: cfg });
    await expect(ctr('noimg', { image: { image: 'strata.local/nope:1' } })).rejects.toMatchObject({ grpcCode: 5, message: expect.stringContaining('config.image.image') });
    await expect(ctr('badmount', { mounts: [{ containerPath: 'relative', hostPath: '/tmp' }] })).rejects.toMatchObject({ grpcCode: 3, message: expect.stringContaining('mounts[0].container_path') });
    await expect(ctr('badcap', { linux: { securityContext: { capabilities: { addCapabilities: ['NOT_A_CAP'] } } } })).rejects.toMatchObject({ grpcCode: 3, message: expect.stringContaining('add_capabilities') });
    await expect(ctr('badlog', { logPath: '../../escape.log' })).rejects.toMatchObject({ grpcCode: 3, message: expect.stringContaining('config.log_path') });
    await expect(svc.CreateContainer({ podSandboxId, config: { image: { image: 'x' } }, sandboxConfig: cfg })).rejects.toMatchObject({ grpcCode: 3, message: expect.stringContaining('config.metadata.name') });
    await expect(svc.CreateContainer({ podSandboxId: 'f'.repeat(64), config: h.containerConfig('x', ['true']), sandboxConfig: cfg })).rejects.toMatchObject({ grpcCode: 5 });
    const { containerId } = await ctr('ok');
    await expect(ctr('ok')).rejects.toMatchObject({ grpcCode: 6 });
    await expect(svc.StartContainer({ containerId: 'nope' })).rejects.toMatchObject({ grpcCode: 5 });
    // a command that does not exist in the image
    const bad = (await svc.CreateContainer({ podSandboxId, config: h.containerConfig('nocmd', ['/no/such/binary']), sandboxConfig: cfg })).containerId;
    const started = await svc.StartContainer({ containerId: bad }).then(() => true, (e) => (expect(e).toMatchObject({ grpcCode: expect.any(Number) }), false));
    const end = Date.now() + 10_000;
    while (Date.now() < end && (await svc.ContainerStatus({ containerId: bad })).status.state !== 2) await new Promise((r) => setTimeout(r, 100));
    const st = (await svc.ContainerStatus({ containerId: bad })).status;
    expect(st.state).toBe(2);
    expect(st.exitCode).not.toBe(0);
    if (!started) expect(st.reason).toBe('StartError');
    await expect(svc.StartContainer({ containerId: bad })).rejects.toMatchObject({ grpcCode: 9 });
    // only the pod's and the two containers' manager records exist
    expect(h.leaks(pods).managerContainers.split('\n').sort()).toEqual([podSandboxId, containerId, bad].sort());
    await svc.RemovePodSandbox({ podSandboxId });
    expect(h.leaks(pods, [containerId, bad])).toEqual({ netns: [], veths: [], ips: [], portmapRules: [], managerContainers: '', cgroups: [] });
    expect(h.manager.bundles?.()).toEqual([]);
  }, 60_000);
});
