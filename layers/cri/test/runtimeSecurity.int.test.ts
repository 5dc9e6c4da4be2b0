// Security context effects, checked from inside the containers through ExecSync: users and
// groups, capabilities (add/drop/ALL), no_new_privs, seccomp RuntimeDefault/Localhost, a
// readonly rootfs, masked /proc paths, privileged devices, host PID, shared pod PID namespace,
// mount propagation.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeHarness, ready, sh } from './runtimeHarness';

const capEff = (status: string) => BigInt(`0x${/^CapEff:\s+([0-9a-f]+)$/m.exec(status)![1]}`);
const bit = (n: number) => 1n << BigInt(n);
const CAP = { CHOWN: 0, NET_ADMIN: 12, NET_RAW: 13, SYS_ADMIN: 21, SYS_TIME: 25 };

describe.skipIf(!ready)('CRI runtime service: security context', () => {
  const h = new RuntimeHarness();
  const pods: string[] = [];
  let podId = '';
  let privPod = '';
  beforeAll(async () => {
    h.start();
    await h.service();
    podId = (await h.svc.RunPodSandbox({ config: h.podConfig('sec', { linux: { securityContext: { namespaceOptions: { pid: 0 } } } }) })).podSandboxId;
    privPod = (await h.svc.RunPodSandbox({ config: h.podConfig('sec-priv', { linux: { securityContext: { privileged: true, namespaceOptions: { pid: 2 } } } }) })).podSandboxId;
    pods.push(podId, privPod);
  }, 60_000);
  afterAll(async () => {
    await h.stop();
  });

  const run = async (name: string, sc: Record<string, unknown>, o: { pod?: string; extra?: Record<string, unknown> } = {}) => {
    const pod = o.pod ?? podId;
    const { containerId } = await h.svc.CreateContainer({ podSandboxId: pod, config: h.containerConfig(name, ['sleep', '300'], { linux: { securityContext: sc }, ...(o.extra ?? {}) }), sandboxConfig: h.podConfig(pod === podId ? 'sec' : 'sec-priv') });
    await h.svc.StartContainer({ containerId });
    return containerId;
  };

  it('run_as_user/group, run_as_username and supplemental groups', async () => {
    const a = await run('user-a', { runAsUser: { value: 1234 }, runAsGroup: { value: 5678 }, supplementalGroups: [4000, 4001] });
    expect((await sh(h.svc, a, 'id -u; id -g; id -G')).out.split('\n')).toEqual(['1234', '5678', '5678 4000 4001']);
    const b = await run('user-b', { runAsUsername: 'daemon' });
    expect((await sh(h.svc, b, 'id -u; id -g')).out).toBe('1\n1');
    const c = await run('user-c', { runAsUser: { value: 65534 } }); // nobody: gid from the image's /etc/passwd
    expect((await sh(h.svc, c, 'id -u; id -g')).out).toBe('65534\n65534');
    await expect(run('user-d', { runAsUsername: 'no-such-user' })).rejects.toMatchObject({ grpcCode: 3, message: expect.stringContaining('run_as_username') });
  }, 60_000);

  it('capabilities: the default set, add, drop, ALL; no_new_privs', async () => {
    const def = capEff((await sh(h.svc, await run('caps-def', {}), 'cat /proc/self/status')).out);
    expect(def & bit(CAP.CHOWN)).not.toBe(0n);
    expect(def & bit(CAP.NET_ADMIN)).toBe(0n);
    const add = capEff((await sh(h.svc, await run('caps-add', { capabilities: { addCapabilities: ['NET_ADMIN', 'SYS_TIME'], dropCapabilities: ['CHOWN'] } }), 'cat /proc/self/status')).out);
    expect(add & bit(CAP.NET_ADMIN)).not.toBe(0n);
    expect(add & bit(CAP.SYS_TIME)).not.toBe(0n);
    expect(add & bit(CAP.CHOWN)).toBe(0n);
    const none = await run('caps-none', { capabilities: { dropCapabilities: ['ALL'], addCapabilities: ['NET_RAW'] } });
    expect(capEff((await sh(h.svc, none, 'cat /proc/self/status')).out)).toBe(bit(CAP.NET_RAW));
    expect((await sh(h.svc, none, 'chown 1:1 /tmp')).code).not.toBe(0);
    const all = capEff((await sh(h.svc, await run('caps-all', { capabilities: { addCapabilities: ['ALL'], dropCapabilities: ['SYS_ADMIN'] } }), 'cat /proc/self/status')).out);
    expect(all & bit(CAP.SYS_ADMIN)).toBe(0n);
    expect(all & bit(CAP.NET_ADMIN)).not.toBe(0n);
    const nnp = await run('nnp', { noNewPrivs: true });
    expect((await sh(h.svc, nnp, 'grep NoNewPrivs /proc/self/status')).out).toMatch(/NoNewPrivs:\s+1/);
    expect((await sh(h.svc, await run('nnp-off', {}), 'grep NoNewPrivs /proc/self/status')).out).toMatch(/NoNewPrivs:\s+0/);
  }, 90_000);

  it('seccomp: unconfined by default, RuntimeDefault filters, Localhost loads a profile file', async () => {
    expect((await sh(h.svc, await run('sc-none', {}), 'grep ^Seccomp: /proc/self/status')).out).toMatch(/Seccomp:\s+0/);
    const rd = await run('sc-default', { seccomp: { profileType: 0 }, capabilities: { addCapabilities: ['SYS_ADMIN'] } });
    expect((await sh(h.svc, rd, 'grep ^Seccomp: /proc/self/status')).out).toMatch(/Seccomp:\s+2/);
    // swapoff is always filtered (EPERM before the kernel looks at the path); unshare is let
    // through because this container holds CAP_SYS_ADMIN (the profile's capability groups)
    expect((await sh(h.svc, rd, 'swapoff /no/such/file')).err).toMatch(/Operation not permitted/);
    expect((await sh(h.svc, rd, 'unshare -u true')).code).toBe(0);
    const unconfinedAdmin = await run('sc-none-admin', { capabilities: { addCapabilities: ['SYS_ADMIN'] } });
    expect((await sh(h.svc, unconfinedAdmin, 'swapoff /no/such/file')).err).toMatch(/No such file/);
    const profile = path.join(h.dir, 'deny-mkdir.json');
    fs.writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }));
    const lh = await run('sc-local', { seccomp: { profileType: 2, localhostRef: profile } });
    const r = await sh(h.svc, lh, 'mkdir /tmp/x');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/Operation not permitted/);
    await expect(run('sc-missing', { seccomp: { profileType: 2, localhostRef: '/nonexistent.json' } })).rejects.toMatchObject({ grpcCode: 3, message: expect.stringContaining('localhost_ref') });
  }, 60_000);

  it('readonly rootfs, masked and readonly /proc paths', async () => {
    const ro = await run('ro', { readonlyRootfs: true });
    const w = await sh(h.svc, ro, 'touch /x');
    expect(w.code).not.toBe(0);
    expect(w.err).toMatch(/Read-only file system/);
    expect((await sh(h.svc, ro, 'touch /tmp/ok 2>&1 || echo fails-on-ro-tmp')).code).toBe(0);
    const def = await run('masked', {});
    // /proc/kcore does not exist on this kernel; /proc/timer_list (also masked) does: /dev/null is bound over it
    expect(fs.readFileSync('/proc/timer_list').length).toBeGreaterThan(0);
    expect(await sh(h.svc, def, 'head -c 100 /proc/timer_list | wc -c')).toMatchObject({ out: '0', code: 0 });
    const unmasked = await run('unmasked', { maskedPaths: ['/proc/acpi'], readonlyPaths: ['/proc/bus'] });
    expect(Number((await sh(h.svc, unmasked, 'head -c 100 /proc/timer_list | wc -c')).out)).toBeGreaterThan(0);
    expect((await sh(h.svc, def, 'echo 1 > /proc/sys/vm/drop_caches')).code).not.toBe(0);
  }, 60_000);

  it('privileged containers see host devices and have every capability; host PID sees host processes; pod PID sharing', async () => {
    const p = await run('priv', { privileged: true }, { pod: privPod });
    expect(Number((await sh(h.svc, p, 'ls /dev | wc -l')).out)).toBeGreaterThan(20);
    expect(capEff((await sh(h.svc, p, 'cat /proc/self/status')).out) & bit(CAP.SYS_ADMIN)).not.toBe(0n);
    expect((await sh(h.svc, p, `cat /proc/${process.pid}/cmdline | tr '\\0' ' '`)).out).toContain('node'); // host pid namespace: the test runner
    await expect(run('priv-in-normal-pod', { privileged: true })).rejects.toMatchObject({ grpcCode: 3 });
    // pid=POD in the pod: the container sees the pause process as pid 1
    const shared = await run('shared-pid', {});
    expect((await sh(h.svc, shared, 'cat /proc/1/cmdline | tr "\\0" " "')).out).toContain('/.strata-pause -P');
  }, 60_000);

  it('mount propagation: private, host-to-container (rslave), bidirectional (rshared)', async () => {
    const base = path.join(h.dir, 'prop');
    fs.mkdirSync(base, { recursive: true });
    expect(spawnSync('mount', ['--bind', base, base]).status).toBe(0);
    expect(spawnSync('mount', ['--make-rshared', base]).status).toBe(0);
    try {
      const priv = path.join(h.dir, 'private-src');
      fs.mkdirSync(priv);
      const mk = (i: number, hostPath: string, propagation: number) => ({ containerPath: `/m${i}`, hostPath, propagation });
      const c = await run('prop', {}, { pod: privPod, extra: { mounts: [mk(0, base, 1), mk(1, base, 2), { containerPath: '/ro', hostPath: priv, readonly: true }] } });
      // host -> container: a mount made on the host below the source appears inside
      fs.mkdirSync(path.join(base, 'sub'));
      expect(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', path.join(base, 'sub')]).status).toBe(0);
      fs.writeFileSync(path.join(base, 'sub', 'from-host'), 'x');
      expect((await sh(h.svc, c, 'ls /m0/sub')).out).toBe('from-host');
      expect((await sh(h.svc, c, 'touch /ro/x')).code).not.toBe(0);
      await expect(run('prop-bad', {}, { extra: { mounts: [mk(0, priv, 2)] } })).rejects.toMatchObject({ grpcCode: 3, message: expect.stringContaining('mounts[0].propagation') });
    } finally {
      spawnSync('umount', ['-R', base]);
    }
  }, 60_000);
});
