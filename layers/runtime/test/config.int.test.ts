// Each feature of config.json, checked from inside a real container (busybox applets as probes).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { sandbox, runIn, leaks, isRoot, built, busyboxRootfs, uniqueId, baseConfig, runtimeBin, type Sandbox } from './helpers';

const capHex = (line: string, out: string) => BigInt(`0x${out.match(new RegExp(`${line}:\\s*([0-9a-f]+)`))![1]}`);

describe.skipIf(!isRoot || !built)('config.json effects (real kernel)', () => {
  let sb: Sandbox;
  const ids: string[] = [];
  beforeAll(() => {
    sb = sandbox();
  });
  afterEach(() => {
    for (const id of ids.splice(0)) expect(leaks(id, [sb.root])).toEqual([]);
  });
  afterAll(() => sb.cleanup());

  const run = (script: string, mutate?: (c: any) => void) => {
    const r = runIn(sb, script, mutate);
    ids.push(r.id);
    return r;
  };

  it('runs the process as pid 1 of a new pid namespace and returns its exit code', () => {
    const r = run('echo pid=$$; exit 7');
    expect(r.out).toContain('pid=1');
    expect(r.code).toBe(7);
  });

  it('sets hostname and domainname in a new uts namespace', () => {
    const r = run('hostname; cat /proc/sys/kernel/domainname', (c) => {
      c.hostname = 'spec-host';
      c.domainname = 'example.org';
    });
    expect(r.out.split('\n').slice(0, 2)).toEqual(['spec-host', 'example.org']);
  });

  it('applies args, env and cwd', () => {
    const r = run('echo "$FOO|$(pwd)|$0"', (c) => {
      c.process.env.push('FOO=bar baz');
      c.process.cwd = '/tmp/work/dir';
    });
    expect(r.out.trim()).toBe('bar baz|/tmp/work/dir|sh');
  });

  it('sets HOME from the image /etc/passwd when env has none', () => {
    const r = run('echo $HOME');
    expect(r.out.trim()).toBe('/root');
  });

  it('switches to process.user uid, gid and additionalGids, and umask', () => {
    const r = run('id -u; id -g; id -G; umask', (c) => {
      c.process.user = { uid: 1000, gid: 1001, additionalGids: [5, 20], umask: 0o027 };
    });
    const [uid, gid, groups, umask] = r.out.trim().split('\n');
    expect([uid, gid]).toEqual(['1000', '1001']);
    expect(groups.split(' ').sort()).toEqual(['1001', '20', '5']);
    expect(umask).toBe('0027');
  });

  it('sets the five capability sets exactly', () => {
    const r = run('grep ^Cap /proc/self/status', (c) => {
      c.process.capabilities = {
        bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW'],
        effective: ['CAP_KILL'],
        permitted: ['CAP_KILL', 'CAP_NET_RAW'],
        inheritable: ['CAP_NET_RAW'],
        ambient: ['CAP_NET_RAW'],
      };
      c.process.noNewPrivileges = false;
      // Not root: for uid 0 execve(2) would fill permitted/effective from the bounding set.
      c.process.user = { uid: 1000, gid: 1000 };
    });
    // CAP_CHOWN=0, CAP_KILL=5, CAP_NET_RAW=13. After execve (capabilities(7)): P' = (P & I) |
    // ambient ... the ambient set keeps NET_RAW, KILL is dropped from permitted by execve for a
    // non-setuid file unless ambient; we check what the kernel computes from our sets.
    expect(capHex('CapBnd', r.out)).toBe((1n << 0n) | (1n << 5n) | (1n << 13n));
    expect(capHex('CapAmb', r.out)).toBe(1n << 13n);
    expect(capHex('CapInh', r.out)).toBe(1n << 13n);
    expect(capHex('CapPrm', r.out)).toBe(1n << 13n);
    expect(capHex('CapEff', r.out)).toBe(1n << 13n);
  });

  it('sets no_new_privs', () => {
    expect(run('grep NoNewPrivs /proc/self/status').out).toMatch(/NoNewPrivs:\s+1/);
    expect(run('grep NoNewPrivs /proc/self/status', (c) => (c.process.noNewPrivileges = false)).out).toMatch(/NoNewPrivs:\s+0/);
  });

  it('applies rlimits', () => {
    const r = run('ulimit -n; ulimit -Hn; ulimit -c', (c) => {
      c.process.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 123, hard: 456 },
        { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
      ];
    });
    expect(r.out.trim().split('\n')).toEqual(['123', '456', '0']);
  });

  it('sets oomScoreAdj', () => {
    expect(run('cat /proc/self/oom_score_adj', (c) => (c.process.oomScoreAdj = 500)).out.trim()).toBe('500');
  });

  it('makes the root read-only when root.readonly is true', () => {
    const r = run('touch /x 2>&1; echo rc=$?');
    expect(r.out).toMatch(/Read-only file system/);
    expect(r.out).toContain('rc=1');
  });

  it('pivots into the rootfs: the host root is not reachable', () => {
    const r = run('ls /; cat /proc/self/mountinfo | head -1');
    expect(r.out).not.toContain('work'); // host dirs
    expect(r.out).toContain('bin');
  });

  it('masks and read-onlies paths', () => {
    const r = run('cat /proc/kcore | wc -c; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/ns_last_pid 2>&1; echo rc=$?');
    const lines = r.out.trim().split('\n');
    expect(lines[0].trim()).toBe('0');
    expect(lines[1].trim()).toBe('0');
    expect(r.out).toContain('rc=1');
    expect(r.err).toMatch(/Read-only file system/);
  });

  it('mounts tmpfs with options, and binds files and directories read-only', () => {
    const src = fs.mkdtempSync(path.join(sb.dir, 'bindsrc-'));
    fs.writeFileSync(path.join(src, 'hello.txt'), 'from the host\n');
    const r = run('cat /data/hello.txt; grep " /data " /proc/self/mountinfo; grep " /scratch " /proc/self/mountinfo; touch /data/x 2>&1; echo done', (c) => {
      c.mounts.push({ destination: '/data', type: 'bind', source: src, options: ['rbind', 'ro'] });
      c.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'mode=700', 'noexec'] });
    });
    expect(r.out).toContain('from the host');
    expect(r.out).toMatch(/ \/data ro,/);
    expect(r.out).toMatch(/ \/scratch rw,[^ ]*noexec/);
    expect(r.out).toMatch(/Read-only file system/);
  });

  it('resolves mount targets inside the rootfs: a symlink cannot escape it', () => {
    // A private copy of the rootfs with /evil -> /../../../../tmp (absolute, escaping).
    const rootfs = path.join(sb.dir, 'escape-rootfs');
    fs.cpSync(busyboxRootfs(), rootfs, { recursive: true, verbatimSymlinks: true });
    fs.symlinkSync('/../../../../../../tmp', path.join(rootfs, 'evil'));
    const marker = `/tmp/strata-escape-${process.pid}`;
    fs.rmSync(marker, { recursive: true, force: true });
    const r = run('ls -la /evil/; grep evil /proc/self/mountinfo || true', (c) => {
      c.root = { path: rootfs, readonly: false };
      c.mounts.push({ destination: `/evil/strata-escape-${process.pid}`, type: 'tmpfs', source: 'tmpfs', options: [] });
    });
    expect(r.code).toBe(0);
    expect(fs.existsSync(marker)).toBe(false); // nothing created on the host's /tmp
    expect(fs.existsSync(path.join(rootfs, 'tmp', `strata-escape-${process.pid}`))).toBe(true);
  });

  it('creates default devices and linux.devices', () => {
    const r = run('ls -l /dev/null /dev/zero /dev/tty /dev/fuse2; ls -l /dev/fd', (c) => {
      c.linux.devices = [{ path: '/dev/fuse2', type: 'c', major: 10, minor: 229, fileMode: 0o640, uid: 0, gid: 0 }];
    });
    expect(r.out).toMatch(/crw-rw-rw-.*1,\s+3 .*\/dev\/null/);
    expect(r.out).toMatch(/crw-r-----.*10,\s+229.*\/dev\/fuse2/);
    expect(r.out).toMatch(/\/dev\/fd -> \/proc\/self\/fd/);
  });

  it('applies sysctls in the container namespaces', () => {
    const r = run('cat /proc/sys/net/ipv4/ip_forward; cat /proc/sys/kernel/shmmni', (c) => {
      c.linux.readonlyPaths = c.linux.readonlyPaths.filter((p: string) => p !== '/proc/sys');
      c.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmni': '1234' };
    });
    expect(r.out.trim().split('\n')).toEqual(['1', '1234']);
  });

  it('joins an existing namespace by path', () => {
    // A uts namespace held by a sleeping process on the host.
    const holder = spawn('unshare', ['--uts', 'sh', '-c', 'hostname held-ns; sleep 30'], { stdio: 'ignore' });
    try {
      // unshare execs sh in the new namespace; once sh has started `sleep`, `hostname` is done.
      const deadline = Date.now() + 5000;
      const sleeping = () => fs.readFileSync(`/proc/${holder.pid}/task/${holder.pid}/children`, 'utf8').trim().split(' ').filter(Boolean).some((p) => {
        try {
          return fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'sleep';
        } catch {
          return false;
        }
      });
      while (!sleeping() && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      const nsPath = `/proc/${holder.pid}/ns/uts`;
      const r = run('hostname', (c) => {
        delete c.hostname;
        c.linux.namespaces = c.linux.namespaces.map((n: any) => (n.type === 'uts' ? { type: 'uts', path: nsPath } : n));
      });
      expect(r.out.trim(), r.err).toBe('held-ns');
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('mounts a fresh sysfs in a joined network namespace and in the host one, never a bind of /sys', () => {
    // A network namespace held by a sleeping process on the host, as a pod's or the engine's is.
    const holder = spawn('unshare', ['--net', 'sleep', '30'], { stdio: 'ignore' });
    try {
      const deadline = Date.now() + 5000;
      const comm = () => {
        try {
          return fs.readFileSync(`/proc/${holder.pid}/comm`, 'utf8').trim();
        } catch {
          return '';
        }
      };
      while (comm() !== 'sleep' && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      expect(comm()).toBe('sleep');
      // mountinfo fields: 5 = mount point, then after " - ": fstype and source.
      const probe = "sed -n 's/^[^ ]* [^ ]* [^ ]* [^ ]* \\(\\/sys[^ ]*\\) .* - \\([^ ]*\\) \\([^ ]*\\) .*/\\1 \\2 \\3/p' /proc/self/mountinfo; echo nets: $(ls /sys/class/net)";
      let masked: string[] = [];
      const joined = run(probe, (c) => {
        masked = c.linux.maskedPaths ?? [];
        c.linux.namespaces = c.linux.namespaces.map((n: any) => (n.type === 'network' ? { type: 'network', path: `/proc/${holder.pid}/ns/net` } : n));
      });
      expect(joined.err).toBe('');
      const lines = joined.out.trim().split('\n');
      expect(lines[0]).toBe('/sys sysfs sysfs');
      // Only the container's own mounts below /sys (its cgroup tree, its masked paths), none of
      // the host's (configfs, debugfs, securityfs, ... would come with a bind of the host's /sys).
      const own = (l: string) => l.startsWith('/sys/fs/cgroup') || masked.includes(l.split(' ')[0]);
      expect(lines.filter((l) => l.startsWith('/sys/') && !own(l))).toEqual([]);
      expect(lines[lines.length - 1]).toBe('nets: lo'); // the joined namespace's devices, not the host's
      const host = run(probe, (c) => {
        c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'network');
      });
      expect(host.out.trim().split('\n')[0]).toBe('/sys sysfs sysfs');
      expect(host.out).toMatch(/^nets: .*\blo\b/m);
      expect(host.out).not.toMatch(/^nets: lo$/m); // the host has more than a loopback
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('maps users with a user namespace', () => {
    const r = run('cat /proc/self/uid_map /proc/self/gid_map; id -u; touch /tmp/x && ls -ln /tmp/x', (c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.root.readonly = false;
      c.mounts = c.mounts.filter((m: any) => m.type !== 'cgroup');
      c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: [] });
    });
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^\s*0\s+100000\s+65536/m);
    expect(r.out).toContain('\n0\n');
  });

  it('installs a seccomp filter: a denied syscall fails with the configured errno', () => {
    const r = run('mkdir /tmp/nope 2>&1; echo rc=$?; echo ok', (c) => {
      c.root.readonly = false;
      c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: [] });
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
      };
    });
    expect(r.out).toMatch(/Operation not permitted/);
    expect(r.out).toContain('rc=1');
    expect(r.out).toContain('ok');
  });

  it('runs hooks in order with the state on stdin', () => {
    const log = path.join(sb.dir, `hooks-${process.pid}.log`);
    const hook = (name: string) => ({ path: '/bin/sh', args: ['sh', '-c', `read -r s; echo "${name} $s" >> ${log}`] });
    const r = run('echo running', (c) => {
      c.hooks = {
        prestart: [hook('prestart')],
        createRuntime: [hook('createRuntime')],
        createContainer: [{ path: '/bin/sh', args: ['sh', '-c', `echo createContainer >> ${log}`] }],
        poststart: [hook('poststart')],
        poststop: [hook('poststop')],
      };
      // createContainer runs inside the container's mount ns before pivot_root: the host path works.
    });
    expect(r.code).toBe(0);
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['prestart', 'createRuntime', 'createContainer', 'poststart', 'poststop']);
    const state = JSON.parse(lines[0].slice('prestart '.length));
    expect(state.id).toBe(r.id);
    expect(state.status).toBe('creating');
    expect(state.pid).toBeGreaterThan(1);
  });

  it('puts the container in its cgroup with the configured limits', () => {
    const r = run('cat /proc/self/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max', (c) => {
      c.linux.resources.memory = { limit: 64 * 1024 * 1024 };
      c.linux.resources.pids = { limit: 42 };
    });
    expect(r.out).toContain(String(64 * 1024 * 1024));
    expect(r.out).toMatch(/^42$/m);
  });

  it('OOM-kills a process over its memory limit (exit 137)', () => {
    const r = run('tail /dev/zero', (c) => {
      c.linux.resources.memory = { limit: 16 * 1024 * 1024 };
    });
    expect(r.code).toBe(137);
  });

  it('relays a pty for a foreground run with terminal: true and no --console-socket', () => {
    // script(1) gives the runtime a terminal of 33x101, as a person's shell would.
    const cfg = baseConfig(['sh', '-c', 'tty; stty size; [ -t 0 ] && echo stdin-is-a-tty']);
    cfg.process.terminal = true;
    const id = uniqueId('tty');
    ids.push(id);
    const b = sb.bundle(cfg);
    const cmd = `stty rows 33 cols 101; node ${runtimeBin} --root ${sb.root} run --bundle ${b} ${id}`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 30_000, input: '' });
    const out = r.stdout.replace(/\r/g, '');
    expect(out).toMatch(/\/dev\/pts\/\d+$/m);
    expect(out).toContain('33 101');
    expect(out).toContain('stdin-is-a-tty');
  });

  it('has no leftover state after a foreground run', () => {
    const r = run('true');
    expect(fs.existsSync(path.join(sb.root, r.id))).toBe(false);
  });
});

void uniqueId;
