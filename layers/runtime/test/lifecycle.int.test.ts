// runtime.md#lifecycle and #operations through the real binary, as containerd's shim and
// runtime-tools drive it: create, state, start, kill, delete; pid files; runc-worded refusals.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { sandbox, baseConfig, leaks, isRoot, built, uniqueId, runtimeBin, type Sandbox } from './helpers';

const waitFor = (pred: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return true;
};

describe.skipIf(!isRoot || !built)('lifecycle (real kernel)', () => {
  let sb: Sandbox;
  const ids: string[] = [];
  beforeAll(() => {
    sb = sandbox();
  });
  afterEach(() => {
    for (const id of ids.splice(0)) {
      sb.rt(['delete', '--force', id]);
      expect(leaks(id, [sb.root])).toEqual([]);
    }
  });
  afterAll(() => sb.cleanup());

  const state = (id: string) => {
    const r = sb.rt(['state', id]);
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };
  const newContainer = (args = ['sleep', '30'], mutate: (c: any) => void = () => {}) => {
    const id = uniqueId('lc');
    ids.push(id);
    const cfg = baseConfig(args);
    mutate(cfg);
    const b = sb.bundle(cfg);
    return { id, b };
  };

  it('create -> created, start -> running, kill -> stopped, delete -> gone', () => {
    const { id, b } = newContainer();
    const pidFile = path.join(sb.dir, `${id}.pid`);
    const c = sb.rt(['create', '--bundle', b, '--pid-file', pidFile, id]);
    expect(c.status, c.stderr).toBe(0);
    let s = state(id);
    expect(s).toMatchObject({ id, status: 'created', bundle: b, ociVersion: expect.any(String) });
    expect(fs.readFileSync(pidFile, 'utf8')).toBe(String(s.pid)); // no trailing newline, like runc
    // The container process exists but has not exec'd the user program yet.
    expect(fs.readFileSync(`/proc/${s.pid}/cmdline`, 'utf8')).not.toContain('sleep');
    expect(sb.rt(['start', id]).status).toBe(0);
    expect(waitFor(() => fs.readFileSync(`/proc/${s.pid}/cmdline`, 'utf8').includes('sleep'))).toBe(true);
    s = state(id);
    expect(s.status).toBe('running');
    expect(sb.rt(['kill', id, 'KILL']).status).toBe(0);
    expect(waitFor(() => state(id).status === 'stopped')).toBe(true);
    expect(state(id).pid).toBe(0);
    expect(sb.rt(['delete', id]).status).toBe(0);
    const gone = sb.rt(['state', id]);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain('does not exist');
  });

  it('refuses operations in the wrong state with runc wording, and leaves the state unchanged', () => {
    const { id, b } = newContainer();
    expect(sb.rt(['create', '--bundle', b, id]).status).toBe(0);
    const dup = sb.rt(['create', '--bundle', b, id]);
    expect(dup.status).toBe(1);
    expect(dup.stderr).toContain('already exists');
    expect(state(id).status).toBe('created');
    expect(sb.rt(['resume', id]).stderr).toContain('container not paused');
    expect(sb.rt(['start', id]).status).toBe(0);
    const again = sb.rt(['start', id]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('cannot start an already running container');
    const del = sb.rt(['delete', id]);
    expect(del.status).toBe(1);
    expect(del.stderr).toContain(`cannot delete container ${id} that is not stopped: running`);
    expect(state(id).status).toBe('running');
    expect(sb.rt(['kill', id, '9']).status).toBe(0);
    expect(waitFor(() => state(id).status === 'stopped')).toBe(true);
    const k = sb.rt(['kill', id, 'TERM']);
    expect(k.status).toBe(1);
    expect(k.stderr).toContain('container not running');
    expect(sb.rt(['start', id]).stderr).toContain('cannot start a container that has stopped');
  });

  it('pause freezes and resume thaws (freezer cgroup)', () => {
    const { id, b } = newContainer(['sh', '-c', 'while :; do sleep 0.1; done']);
    expect(sb.rt(['run', '--detach', '--bundle', b, id]).status).toBe(0);
    // The kernel's view, from the host: v1 freezer.state, v2 "frozen" in cgroup.events.
    const lines = fs.readFileSync(`/proc/${state(id).pid}/cgroup`, 'utf8').split('\n');
    const v1 = lines.find((l) => l.split(':')[1]?.split(',').includes('freezer'));
    const frozen = v1
      ? () => fs.readFileSync(path.join('/sys/fs/cgroup/freezer', v1.split(':')[2], 'freezer.state'), 'utf8').trim() === 'FROZEN'
      : () => /^frozen 1$/m.test(fs.readFileSync(path.join('/sys/fs/cgroup', lines.find((l) => l.startsWith('0::'))!.slice(3), 'cgroup.events'), 'utf8'));
    expect(frozen()).toBe(false);
    expect(sb.rt(['pause', id]).status).toBe(0);
    expect(state(id).status).toBe('paused');
    expect(frozen()).toBe(true);
    expect(sb.rt(['exec', id, 'true']).stderr).toContain('paused');
    expect(sb.rt(['resume', id]).status).toBe(0);
    expect(state(id).status).toBe('running');
    expect(frozen()).toBe(false);
  });

  it('delete of a created container kills it without --force (runc behaviour)', () => {
    const { id, b } = newContainer();
    expect(sb.rt(['create', '--bundle', b, id]).status).toBe(0);
    const pid = state(id).pid;
    expect(sb.rt(['delete', id]).status).toBe(0);
    expect(waitFor(() => !fs.existsSync(`/proc/${pid}`) || fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'))).toBe(true);
  });

  it('delete --force kills a running container and removes everything', () => {
    const { id, b } = newContainer();
    expect(sb.rt(['run', '-d', '--bundle', b, id]).status).toBe(0);
    expect(sb.rt(['delete', '--force', id]).status).toBe(0);
    expect(fs.existsSync(path.join(sb.root, id))).toBe(false);
  });

  it('exec runs a process in the container namespaces and cgroup, with --detach and --pid-file', () => {
    const { id, b } = newContainer(['sleep', '30'], (c) => (c.hostname = 'exec-host'));
    expect(sb.rt(['run', '-d', '--bundle', b, id]).status).toBe(0);
    const r = sb.rt(['exec', id, 'sh', '-c', 'hostname; echo pid=$$; cat /proc/1/cmdline | tr "\\0" " "']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('exec-host');
    expect(r.stdout).toContain('sleep 30');
    const code = sb.rt(['exec', id, 'sh', '-c', 'exit 3']);
    expect(code.status).toBe(3);
    const pidFile = path.join(sb.dir, `${id}.exec.pid`);
    expect(sb.rt(['exec', '--detach', '--pid-file', pidFile, id, 'sleep', '5']).status).toBe(0);
    const ps = JSON.parse(sb.rt(['ps', '--format', 'json', id]).stdout);
    expect(ps).toContain(Number(fs.readFileSync(pidFile, 'utf8')));
    expect(ps).toContain(state(id).pid);
    const missing = sb.rt(['exec', id, 'no-such-binary']);
    expect(missing.status).toBe(255);
    expect(missing.stderr).toContain('executable file not found');
  });

  it.skipIf(!fs.existsSync('/sys/fs/cgroup/cgroup.controllers'))('exec joins the init\'s sub-cgroup when the container delegated its cgroup (cgroup v2)', () => {
    // What systemd or a Docker-in-Docker entrypoint does in a container on a v2 host: move itself
    // into a child cgroup and enable controllers for the children. The container's cgroup then
    // refuses new processes (EBUSY, "no internal processes"); runc joins the init's cgroup instead.
    const script = 'mkdir /sys/fs/cgroup/init && echo $$ > /sys/fs/cgroup/init/cgroup.procs && echo +pids > /sys/fs/cgroup/cgroup.subtree_control; exec sleep 30';
    const { id, b } = newContainer(['sh', '-c', script], (c) => {
      c.mounts = c.mounts.map((m: any) => (m.type === 'cgroup' ? { ...m, options: m.options.filter((o: string) => o !== 'ro') } : m));
    });
    expect(sb.rt(['run', '-d', '--bundle', b, id]).status).toBe(0);
    const pid = state(id).pid;
    const dir = () => path.join('/sys/fs/cgroup', fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().slice('0::'.length));
    expect(waitFor(() => dir().endsWith('/init') && fs.readFileSync(path.join(path.dirname(dir()), 'cgroup.subtree_control'), 'utf8').includes('pids'), 30_000)).toBe(true);
    const r = sb.rt(['exec', id, 'cat', '/proc/self/cgroup']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('0::/init');
  });

  it('exec --process takes a process.json', () => {
    const { id, b } = newContainer();
    expect(sb.rt(['run', '-d', '--bundle', b, id]).status).toBe(0);
    const p = path.join(sb.dir, `${id}-process.json`);
    fs.writeFileSync(p, JSON.stringify({ args: ['sh', '-c', 'echo $X; id -u'], env: ['X=from-process-json', 'PATH=/bin'], cwd: '/', user: { uid: 33, gid: 33 } }));
    const r = sb.rt(['exec', '--process', p, id]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('from-process-json\n33\n');
  });

  it('kill --all signals every process in the cgroup', () => {
    const { id, b } = newContainer(['sh', '-c', 'sleep 100 & sleep 100 & wait']);
    expect(sb.rt(['run', '-d', '--bundle', b, id]).status).toBe(0);
    expect(waitFor(() => JSON.parse(sb.rt(['ps', '-f', 'json', id]).stdout).length >= 3)).toBe(true);
    expect(sb.rt(['kill', '--all', id, 'KILL']).status).toBe(0);
    expect(waitFor(() => state(id).status === 'stopped')).toBe(true);
  });

  it('list shows containers (table and json)', () => {
    const { id, b } = newContainer();
    expect(sb.rt(['create', '--bundle', b, id]).status).toBe(0);
    const table = sb.rt(['list']).stdout;
    expect(table.split('\n')[0]).toMatch(/^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER/);
    expect(table).toMatch(new RegExp(`${id}\\s+\\d+\\s+created\\s+${b}`));
    const json = JSON.parse(sb.rt(['list', '--format', 'json']).stdout);
    expect(json.find((e: any) => e.id === id)).toMatchObject({ status: 'created', bundle: b });
  });

  it('update changes cgroup limits of a running container', () => {
    const { id, b } = newContainer();
    expect(sb.rt(['run', '-d', '--bundle', b, id]).status).toBe(0);
    expect(sb.rt(['update', '--pids-limit', '77', '--memory', '100M', id]).status).toBe(0);
    const r = sb.rt(['exec', id, 'sh', '-c', 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max']);
    expect(r.stdout.trim()).toBe('77');
    expect(sb.rt(['update', '--resources', '-', id], { input: JSON.stringify({ pids: { limit: 88 } }) }).status).toBe(0);
    expect(sb.rt(['exec', id, 'sh', '-c', 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max']).stdout.trim()).toBe('88');
  });

  it('update changes one value of a pair and keeps the other (cpu quota/period, memory limit/swap)', () => {
    // cgroup v2 keeps quota and period in one file (cpu.max) and swap apart from memory
    // (memory.swap.max = memory+swap - limit): an update naming one value must keep the other.
    const v2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
    const { id, b } = newContainer(['sleep', '30'], (c) => {
      c.linux.resources.cpu = { quota: 50000, period: 50000 };
      c.linux.resources.memory = { limit: 64 << 20, swap: 96 << 20 };
    });
    expect(sb.rt(['run', '-d', '--bundle', b, id]).status).toBe(0);
    const read = (v1Files: string, v2Files: string) => {
      const r = sb.rt(['exec', id, 'sh', '-c', v2 ? `cat ${v2Files}` : `cat ${v1Files}`]);
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim().split(/\s+/).join(' ');
    };
    const cpu = () => read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us', '/sys/fs/cgroup/cpu.max');
    const mem = () => read('/sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes', '/sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.swap.max');
    expect(cpu()).toBe('50000 50000');
    expect(mem()).toBe(v2 ? `${64 << 20} ${32 << 20}` : `${64 << 20} ${96 << 20}`);
    expect(sb.rt(['update', '--cpu-quota', '20000', id]).status).toBe(0);
    expect(cpu()).toBe('20000 50000');
    expect(sb.rt(['update', '--cpu-period', '200000', id]).status).toBe(0);
    expect(cpu()).toBe('20000 200000');
    const u = sb.rt(['update', '--memory-swap', String(128 << 20), id]);
    expect(u.status, u.stderr).toBe(0);
    expect(mem()).toBe(v2 ? `${64 << 20} ${64 << 20}` : `${64 << 20} ${128 << 20}`);
    // memory+swap below the memory limit is refused, and nothing changes.
    expect(sb.rt(['update', '--memory-swap', String(32 << 20), id]).status).not.toBe(0);
    expect(mem()).toBe(v2 ? `${64 << 20} ${64 << 20}` : `${64 << 20} ${128 << 20}`);
  });

  it('events --stats prints one stats event with cgroup numbers', () => {
    const { id, b } = newContainer();
    expect(sb.rt(['run', '-d', '--bundle', b, id]).status).toBe(0);
    const r = sb.rt(['events', '--stats', id]);
    expect(r.status, r.stderr).toBe(0);
    const ev = JSON.parse(r.stdout);
    expect(ev.type).toBe('stats');
    expect(ev.id).toBe(id);
    expect(ev.data.memory.usage.usage).toBeGreaterThan(0);
    expect(ev.data.pids.current).toBeGreaterThanOrEqual(1);
  });

  it('events reports an OOM kill and then ends when the container stops', () => {
    const { id, b } = newContainer(['sh', '-c', 'sleep 1; tail /dev/zero'], (c) => {
      c.linux.resources.memory = { limit: 16 * 1024 * 1024 };
    });
    expect(sb.rt(['run', '-d', '--bundle', b, id]).status).toBe(0);
    const r = sb.rt(['events', '--interval', '200ms', id], { timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.some((e) => e.type === 'oom' && e.id === id)).toBe(true);
    expect(events.some((e) => e.type === 'stats')).toBe(true);
  });

  it('a failing createRuntime hook fails create and leaves nothing behind', () => {
    const { id, b } = newContainer(['true'], (c) => {
      c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 3'] }] };
    });
    const r = sb.rt(['create', '--bundle', b, id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/createRuntime\[0\].*exited with status 3/);
    expect(fs.existsSync(path.join(sb.root, id))).toBe(false);
    expect(leaks(id, [sb.root])).toEqual([]);
  });

  it('a killed runtime during create leaves something delete --force cleans up', () => {
    const { id, b } = newContainer(['true'], (c) => {
      // The hook blocks create while the init exists (namespaces and cgroup made).
      c.hooks = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '20'] }] };
    });
    const child = spawn('node', [runtimeBin, '--root', sb.root, 'create', '--bundle', b, id], { stdio: 'ignore' });
    expect(waitFor(() => fs.existsSync(path.join(sb.root, id, 'state.json')), 10_000)).toBe(true);
    child.kill('SIGKILL');
    expect(sb.rt(['delete', '--force', id]).status).toBe(0);
    expect(waitFor(() => leaks(id, [sb.root]).length === 0)).toBe(true);
  });
});
