// Container behaviour the kubelet relies on: long log lines split into P records, log rotation
// with ReopenContainerLog, ExecSync's timeout, stats from cgroups and the snapshotter, the OOM
// killer reported as exit 137 / OOMKilled, UpdateContainerResources, and the service's state
// surviving a restart (a new instance on the same root sees the same pods and containers).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeHarness, ready, sh } from './runtimeHarness';

const waitUntil = async (cond: () => boolean | Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
};

describe.skipIf(!ready)('CRI runtime service: containers', () => {
  const h = new RuntimeHarness();
  const pods: string[] = [];
  let podId = '';
  const podCfg = () => h.podConfig('ctr');
  beforeAll(async () => {
    h.start();
    await h.service();
    podId = (await h.svc.RunPodSandbox({ config: podCfg() })).podSandboxId;
    pods.push(podId);
  }, 60_000);
  afterAll(async () => {
    await h.stop();
  });

  const ctrs: string[] = [];
  const start = async (name: string, args: string[], extra: Record<string, unknown> = {}) => {
    const { containerId } = await h.svc.CreateContainer({ podSandboxId: podId, config: h.containerConfig(name, args, extra), sandboxConfig: podCfg() });
    ctrs.push(containerId);
    await h.svc.StartContainer({ containerId });
    return containerId;
  };
  const logOf = (name: string) => path.join(podCfg().logDirectory, `${name}.log`);

  it('splits lines over 16 KiB into partial records; ReopenContainerLog continues in a new file after rotation', async () => {
    const id = await start('logs', ['sh', '-c', 'head -c 40000 /dev/zero | tr "\\0" a; echo; echo short; sleep 300']);
    const file = logOf('logs');
    expect(await waitUntil(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('stdout F short'))).toBe(true);
    const recs = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(' '));
    expect(recs.map((r) => `${r[1]} ${r[2]} ${r[3].length}`)).toEqual(['stdout P 16384', 'stdout P 16384', 'stdout F 7232', 'stdout F 5']);
    // rotation: the kubelet renames the file, then asks for a reopen
    fs.renameSync(file, `${file}.1`);
    await h.svc.ReopenContainerLog({ containerId: id });
    expect(fs.existsSync(file)).toBe(true);
    await sh(h.svc, id, 'echo after-rotation > /proc/1/fd/1');
    expect(await waitUntil(() => fs.readFileSync(file, 'utf8').includes('stdout F after-rotation'))).toBe(true);
    expect(fs.readFileSync(`${file}.1`, 'utf8')).not.toContain('after-rotation');
    await h.svc.StopContainer({ containerId: id, timeout: 0 });
    await expect(h.svc.ReopenContainerLog({ containerId: id })).rejects.toMatchObject({ grpcCode: 9 });
  }, 60_000);

  it('ExecSync: exit codes, stdout/stderr, and a timeout that kills the process', async () => {
    const id = await start('exec', ['sleep', '300']);
    const r = await h.svc.ExecSync({ containerId: id, cmd: ['sh', '-c', 'echo out; echo err >&2; exit 7'] });
    expect([Buffer.from(r.stdout).toString(), Buffer.from(r.stderr).toString(), r.exitCode]).toEqual(['out\n', 'err\n', 7]);
    const t0 = Date.now();
    await expect(h.svc.ExecSync({ containerId: id, cmd: ['sh', '-c', 'echo $$ > /tmp/pid; sleep 60'], timeout: 1 })).rejects.toMatchObject({ grpcCode: 4 });
    expect(Date.now() - t0).toBeLessThan(8_000);
    const pid = (await sh(h.svc, id, 'cat /tmp/pid')).out;
    expect((await sh(h.svc, id, `kill -0 ${pid} 2>/dev/null && echo alive || echo gone`)).out).toBe('gone');
    await expect(h.svc.ExecSync({ containerId: id, cmd: [] })).rejects.toMatchObject({ grpcCode: 3, message: expect.stringContaining('cmd') });
    await expect(h.svc.ExecSync({ containerId: 'f'.repeat(64), cmd: ['true'] })).rejects.toMatchObject({ grpcCode: 5 });
  }, 60_000);

  it('stats: CPU, memory, writable layer; pod stats with network and processes', async () => {
    const id = await start('stats', ['sh', '-c', 'head -c 5000000 /dev/zero > /big; while true; do :; done']);
    await new Promise((r) => setTimeout(r, 1_000));
    await h.svc.ContainerStats({ containerId: id });
    await new Promise((r) => setTimeout(r, 500));
    const s = (await h.svc.ContainerStats({ containerId: id })).stats;
    expect(s.attributes.id).toBe(id);
    expect(s.cpu!.usageCoreNanoSeconds!.value).toBeGreaterThan(100_000_000);
    expect(s.cpu!.usageNanoCores!.value).toBeGreaterThan(100_000_000); // a busy loop: a good part of a core
    expect(s.memory!.workingSetBytes!.value).toBeGreaterThan(0);
    expect(s.writableLayer!.usedBytes!.value).toBeGreaterThanOrEqual(5_000_000);
    const list = (await h.svc.ListContainerStats({ filter: { podSandboxId: podId } })).stats.map((x) => x.attributes.id);
    expect(list).toContain(id);
    const ps = (await h.svc.PodSandboxStats({ podSandboxId: podId })).stats;
    expect(ps.linux!.process!.processCount!.value).toBeGreaterThanOrEqual(2);
    expect(ps.linux!.network!.defaultInterface!.name).toBe('eth0');
    expect(ps.linux!.containers.map((c) => c.attributes.id)).toContain(id);
    expect((await h.svc.ListPodSandboxStats({})).stats.map((x) => x.attributes.id)).toContain(podId);
    await h.svc.StopContainer({ containerId: id, timeout: 0 });
  }, 60_000);

  it('the OOM killer: exit code 137, reason OOMKilled', async () => {
    const id = await start('oom', ['sh', '-c', 'mkdir -p /tmp/fill && mount -t tmpfs -o size=200m tmpfs /tmp/fill 2>/dev/null; tail /dev/zero'], {
      linux: { resources: { memoryLimitInBytes: 24 * 1024 * 1024 } },
    });
    expect(await waitUntil(async () => (await h.svc.ContainerStatus({ containerId: id })).status.state === 2, 30_000)).toBe(true);
    const st = (await h.svc.ContainerStatus({ containerId: id })).status;
    expect([st.exitCode, st.reason]).toEqual([137, 'OOMKilled']);
    expect(st.finishedAt).toBeGreaterThan(st.startedAt);
  }, 60_000);

  it('UpdateContainerResources changes the live cgroup', async () => {
    const id = await start('update', ['sleep', '300'], { linux: { resources: { memoryLimitInBytes: 64 * 1024 * 1024 } } });
    await h.svc.UpdateContainerResources({ containerId: id, linux: { memoryLimitInBytes: 96 * 1024 * 1024, cpuShares: 512 } });
    const limit = (await sh(h.svc, id, 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max')).out;
    expect(limit).toBe(String(96 * 1024 * 1024));
    expect((await h.svc.ContainerStatus({ containerId: id })).status.resources!.linux!.memoryLimitInBytes).toBe(96 * 1024 * 1024);
    await expect(h.svc.UpdateContainerResources({ containerId: id, linux: { memoryLimitInBytes: -5 } })).rejects.toMatchObject({ grpcCode: 3, message: expect.stringContaining('memory_limit_in_bytes') });
  }, 60_000);

  it('a restarted service finds its pods and containers, keeps exit codes, and still logs and watches exits', async () => {
    const running = await start('survivor', ['sh', '-c', 'echo before; read x; echo "got $x"; sleep 300'], { stdin: true });
    const done = await start('finished', ['sh', '-c', 'exit 5']);
    expect(await waitUntil(async () => (await h.svc.ContainerStatus({ containerId: done })).status.state === 2)).toBe(true);
    await h.svc.close();
    const svc = await h.service(); // same root and state, new instance
    expect((await svc.PodSandboxStatus({ podSandboxId: podId })).status.state).toBe(0);
    expect((await svc.ContainerStatus({ containerId: running })).status.state).toBe(1);
    expect((await svc.ContainerStatus({ containerId: done })).status).toMatchObject({ state: 2, exitCode: 5, reason: 'Error' });
    // the output pump is back: a line written now reaches the log
    await sh(svc, running, 'echo after-restart > /proc/1/fd/1');
    expect(await waitUntil(() => fs.readFileSync(logOf('survivor'), 'utf8').includes('after-restart'))).toBe(true);
    // the exit watch is back
    await svc.StopContainer({ containerId: running, timeout: 0 });
    expect((await svc.ContainerStatus({ containerId: running })).status).toMatchObject({ state: 2, exitCode: 137 });
  }, 60_000);

  it('removing the pod leaves nothing behind', async () => {
    await h.svc.RemovePodSandbox({ podSandboxId: podId });
    expect(h.leaks(pods, ctrs)).toEqual({ netns: [], veths: [], ips: [], portmapRules: [], managerContainers: '', cgroups: [] });
    expect(fs.readdirSync(path.join(h.state, 'containers'))).toEqual([]);
    expect(fs.readdirSync(path.join(h.root, 'containers'))).toEqual([]);
    expect(fs.readdirSync(path.join(h.root, 'sandboxes'))).toEqual([]);
    expect(h.manager.bundles?.()).toEqual([]);
  }, 60_000);
});
