// The swap in the other direction: strata-crictl against real containerd's CRI plugin (Debian's
// containerd 1.6), configured like the harness's strata-cri: its own root/state/socket, the same
// kind of CNI bridge (named after this process), registry.k8s.io mirrored to a local
// docker-registry. strata-crictl must drive it with the same verbs: version, info, pull, images,
// runp, pods, create, start, ps, exec -s, stopp, rmp.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRegistry, ManagerDaemon, mountsBelow, startRegistry, type RunningRegistry } from '@strata/manager/testing';
import { has, isRoot, sleep } from '@strata/shim/testing';
import { BUSYBOX, built, crictlBin, pushBusybox, pushPauseImage, writeCniConf } from './harness';

const ready = isRoot && haveRegistry() && built() && has('containerd') && fs.existsSync('/usr/bin/containerd-shim-runc-v2');

describe.skipIf(!ready)("strata-crictl against containerd's CRI plugin", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cri-ctd-'));
  const sock = path.join(dir, 'containerd.sock');
  const bridge = `sctd${process.pid % 1_000_000}`;
  const subnet = `10.${200 + (process.pid % 50)}.${(process.pid + 1) % 250}.0/24`;
  const staging = new ManagerDaemon(); // only to push busybox into the registry
  let reg: RunningRegistry;
  let daemon: ChildProcess | undefined;
  let pod = '';
  const crictl = (args: string[]) => spawnSync(process.execPath, [crictlBin, '-r', `unix://${sock}`, '--timeout', '60s', ...args], { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
  const log = () => (fs.existsSync(path.join(dir, 'containerd.log')) ? fs.readFileSync(path.join(dir, 'containerd.log'), 'utf8').split('\n').filter((l) => !/loading plugin/.test(l)).slice(-30).join('\n') : '');

  beforeAll(async () => {
    staging.start();
    reg = await startRegistry();
    await pushBusybox(staging, reg);
    await pushPauseImage(reg);
    staging.stop();
    writeCniConf(path.join(dir, 'net.d'), bridge, subnet, path.join(dir, 'ipam'));
    const cri = 'plugins."io.containerd.grpc.v1.cri"';
    fs.writeFileSync(
      path.join(dir, 'config.toml'),
      [
        'version = 2',
        `root = "${dir}/root"`,
        `state = "${dir}/state"`,
        'disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
        '[grpc]',
        `  address = "${sock}"`,
        '[ttrpc]',
        `  address = "${sock}.ttrpc"`,
        `[${cri}]`,
        '  sandbox_image = "registry.k8s.io/pause:3.9"',
        // facts-machine.md: this host's containerd CRI needs it (no CAP_SYS_RESOURCE games)
        '  restrict_oom_score_adj = true',
        '  disable_apparmor = true',
        '  stream_server_address = "127.0.0.1"',
        '  stream_server_port = "0"',
        `[${cri}.cni]`,
        '  bin_dir = "/usr/lib/cni"',
        `  conf_dir = "${dir}/net.d"`,
        `[${cri}.containerd]`,
        '  default_runtime_name = "runc"',
        `[${cri}.containerd.runtimes.runc]`,
        '  runtime_type = "io.containerd.runc.v2"',
        `[${cri}.containerd.runtimes.runc.options]`,
        `  Root = "${dir}/runc"`,
        `[${cri}.registry.mirrors."registry.k8s.io"]`,
        `  endpoint = ["${reg.url}"]`,
      ].join('\n'),
    );
    daemon = spawn('containerd', ['--config', path.join(dir, 'config.toml')], { stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'containerd.log'), 'a')] });
    const end = Date.now() + 30_000;
    while (Date.now() < end && crictl(['version']).status !== 0) sleep(200);
  }, 180_000);

  afterAll(async () => {
    for (const id of crictl(['pods', '-q']).stdout?.split('\n').filter(Boolean) ?? []) crictl(['rmp', '-f', id]);
    daemon?.kill('SIGTERM');
    const end = Date.now() + 10_000;
    while (Date.now() < end && daemon?.exitCode === null && daemon.signalCode === null) sleep(100);
    if (daemon?.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
    await reg?.stop();
    spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    for (const m of mountsBelow(dir).reverse()) spawnSync('umount', ['-l', m]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(mountsBelow(dir)).toEqual([]);
  }, 120_000);

  it('version: containerd answers', () => {
    const r = crictl(['version']);
    expect(r.status, `${r.stderr}\n${log()}`).toBe(0);
    expect(r.stdout).toMatch(/^Version:  0\.1\.0\nRuntimeName:  containerd\nRuntimeVersion:  \S+\nRuntimeApiVersion:  v1(alpha2)?\n$/);
  });

  it('info: the conditions and containerd\'s config', () => {
    const doc = JSON.parse(crictl(['info']).stdout);
    expect(doc.status.conditions.map((c: { type: string }) => c.type)).toEqual(expect.arrayContaining(['RuntimeReady', 'NetworkReady']));
    expect(doc.config.sandboxImage).toBe('registry.k8s.io/pause:3.9');
  });

  it('pull through containerd\'s mirror, then images lists it', () => {
    const p = crictl(['pull', BUSYBOX]);
    expect(p.status, `${p.stderr}\n${log()}`).toBe(0);
    expect(p.stdout).toMatch(/^Image is up to date for sha256:[0-9a-f]{64}\n$/);
    const id = p.stdout.trim().split(' ').pop()!;
    expect(crictl(['images']).stdout).toMatch(new RegExp(`^registry\\.k8s\\.io/busybox\\s+latest\\s+${id.slice(7, 20)}\\s`, 'm'));
    expect(crictl(['images', '-q']).stdout.split('\n')).toContain(id);
    expect(JSON.parse(crictl(['inspecti', BUSYBOX]).stdout).status.id).toBe(id);
  });

  it('runp, pods, create, start, ps, exec -s', () => {
    const podFile = path.join(dir, 'pod.json');
    fs.writeFileSync(podFile, JSON.stringify({ metadata: { name: 'ctd-web', namespace: 'default', uid: `uid-ctd-${process.pid}`, attempt: 1 }, log_directory: path.join(dir, 'logs'), linux: {} }));
    const r = crictl(['runp', podFile]);
    expect(r.status, `${r.stderr}\n${log()}`).toBe(0);
    pod = r.stdout.trim();
    expect(pod).toMatch(/^[0-9a-f]{64}$/);
    expect(crictl(['pods']).stdout).toMatch(new RegExp(`^${pod.slice(0, 13)}\\s+.*\\s+Ready\\s+ctd-web\\s+default\\s+1\\s+\\(default\\)$`, 'm'));
    const ctrFile = path.join(dir, 'ctr.json');
    fs.writeFileSync(ctrFile, JSON.stringify({ metadata: { name: 'sleeper' }, image: { image: BUSYBOX }, command: ['sleep', '1000'], log_path: 'sleeper.log', linux: {} }));
    const c = crictl(['create', pod, ctrFile, podFile]);
    expect(c.status, `${c.stderr}\n${log()}`).toBe(0);
    const ctr = c.stdout.trim();
    expect(crictl(['start', ctr]).stdout).toBe(`${ctr}\n`);
    expect(crictl(['ps']).stdout).toMatch(new RegExp(`^${ctr.slice(0, 13)}\\s+.*Running\\s+sleeper\\s+0\\s+${pod.slice(0, 13)}\\s+ctd-web`, 'm'));
    const e = crictl(['exec', '-s', ctr, 'echo', 'inside containerd']);
    expect(e.stdout).toBe('inside containerd\n');
    expect(crictl(['stop', ctr]).status).toBe(0);
    expect(crictl(['rm', ctr]).status).toBe(0);
  });

  it('stopp and rmp', () => {
    expect(crictl(['stopp', pod]).stdout).toBe(`Stopped sandbox ${pod}\n`);
    expect(crictl(['rmp', pod]).stdout).toBe(`Removed sandbox ${pod}\n`);
    expect(crictl(['pods', '-q']).stdout).toBe('');
  });
});
