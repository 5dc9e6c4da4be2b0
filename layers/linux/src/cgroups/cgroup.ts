// One container cgroup across every hierarchy of the host (v1: one dir per controller mount;
// v2: one dir). Synchronous fs only: this runs on strata-runtime's create path.
import fs from 'node:fs';
import path from 'node:path';
import { detectCgroupLayout, processCgroup, type CgroupLayout } from './layout';
import { CgroupError } from './errors';
import { v1Writes, v2Writes, type CgroupResources, type CgroupWrite } from './resources';
import { readStats, type CgroupStats } from './stats';
import { attachDeviceFilter } from './devicesBpf';

const nap = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

export class Cgroup {
  private constructor(
    readonly path: string,
    readonly layout: CgroupLayout,
  ) {}

  static open(p: string, layout: CgroupLayout = detectCgroupLayout()): Cgroup {
    return new Cgroup(p, layout);
  }

  /** controller -> absolute dir ('' for v2). Co-mounted controllers share a dir. */
  dirs(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [c, mount] of Object.entries(this.layout.mounts)) out[c] = path.join(mount, this.path);
    return out;
  }

  private uniqueDirs(): string[] {
    return [...new Set(Object.values(this.dirs()))];
  }

  private dirOf(controller: string): string | undefined {
    if (this.layout.version === 2) return this.dirs()[''];
    return this.dirs()[controller];
  }

  exists(): boolean {
    return this.uniqueDirs().some((d) => fs.existsSync(d));
  }

  create(): void {
    for (const d of this.uniqueDirs()) fs.mkdirSync(d, { recursive: true });
    if (this.layout.version === 1) this.fillCpuset();
    else this.enableControllers();
  }

  /**
   * cgroup v1 cpuset: a new cgroup starts with empty cpuset.cpus/mems and refuses tasks
   * (ENOSPC) until they are filled: copy them down from the nearest ancestor that has them.
   */
  private fillCpuset(): void {
    const dir = this.dirs()['cpuset'];
    const mount = this.layout.mounts['cpuset'];
    if (!dir || !mount) return;
    const chain: string[] = [];
    for (let d = dir; d.startsWith(mount) && d !== mount; d = path.dirname(d)) chain.unshift(d);
    for (const d of chain) {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        const file = path.join(d, f);
        if (fs.readFileSync(file, 'utf8').trim() === '') fs.writeFileSync(file, fs.readFileSync(path.join(path.dirname(d), f), 'utf8').trim());
      }
    }
  }

  /** cgroup v2: a controller must be enabled in every ancestor's cgroup.subtree_control. */
  private enableControllers(): void {
    const root = this.layout.mounts[''];
    const dir = this.dirs()[''];
    const ancestors: string[] = [];
    for (let d = path.dirname(dir); d.startsWith(root); d = path.dirname(d)) {
      ancestors.unshift(d);
      if (d === root) break;
    }
    for (const a of ancestors) {
      let available: string[] = [];
      try {
        available = fs.readFileSync(path.join(a, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean);
      } catch {
        continue;
      }
      for (const c of available) {
        try {
          fs.writeFileSync(path.join(a, 'cgroup.subtree_control'), `+${c}`);
        } catch {
          // e.g. EBUSY: the ancestor has processes of its own ("no internal processes" rule)
        }
      }
    }
  }

  procsFiles(): string[] {
    return this.uniqueDirs().map((d) => path.join(d, 'cgroup.procs'));
  }

  /**
   * cgroup v2: the cgroup.procs of the sub-cgroup of this one that holds `pid`, when the process
   * moved below the container's cgroup (undefined otherwise, and on v1).
   */
  subCgroupProcsOf(pid: number): string | undefined {
    if (this.layout.version !== 2) return undefined;
    const dir = this.dirs()[''];
    let own: string;
    try {
      own = path.join(this.layout.mounts[''], processCgroup(pid, this.layout));
    } catch {
      return undefined; // the process is gone
    }
    return own.startsWith(`${dir}/`) ? path.join(own, 'cgroup.procs') : undefined;
  }

  addProcess(pid: number): void {
    for (const f of this.procsFiles()) fs.writeFileSync(f, String(pid));
  }

  /** Write every limit; a write that fails names the config field, the file and the errno. */
  apply(resources: CgroupResources, opts: { update?: boolean } = {}): void {
    let writes: CgroupWrite[];
    try {
      writes = this.layout.version === 2 ? v2Writes(resources, { bfq: fs.existsSync(path.join(this.dirs()[''], 'io.bfq.weight')) }) : v1Writes(resources, opts.update);
    } catch (e) {
      const err = e as Error & { pointer?: string };
      throw new CgroupError(err.message, 'UNSUPPORTED', err.pointer);
    }
    if (this.layout.version === 1) writes = orderMemoryWrites(writes, this.dirOf('memory'));
    for (const w of writes) {
      const dir = w.controller === '' ? undefined : this.dirOf(w.controller);
      if (!dir || (this.layout.version === 2 && w.controller !== '' && !this.controllerEnabled(w.controller))) {
        throw new CgroupError(`controller ${w.controller || '(unified)'} not available on this host (cgroup v${this.layout.version}${this.layout.hybrid ? ' hybrid' : ''})`, 'NO_CONTROLLER', w.pointer);
      }
      const file = path.join(dir, w.file);
      try {
        fs.writeFileSync(file, w.value);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
        const why = code === 'ENOENT' ? 'the kernel has no such file' : code === 'EINVAL' ? 'the kernel refused the value' : code;
        throw new CgroupError(`cannot set ${w.file} to ${JSON.stringify(w.value)}: ${why}`, 'WRITE', w.pointer, file, code);
      }
    }
    if (this.layout.version === 2 && resources.devices && !opts.update) attachDeviceFilter(this.dirs()[''], resources.devices);
  }

  private controllerEnabled(controller: string): boolean {
    if (['cgroup', ''].includes(controller)) return true;
    try {
      return fs.readFileSync(path.join(this.dirs()[''], 'cgroup.controllers'), 'utf8').split(/\s+/).includes(controller);
    } catch {
      return false;
    }
  }

  /** Every pid in the cgroup and below. */
  pids(): number[] {
    const base = this.layout.version === 2 ? this.dirs()[''] : this.dirOf('pids') ?? this.dirOf('freezer') ?? this.dirOf('memory') ?? this.uniqueDirs()[0];
    const out = new Set<number>();
    const walk = (d: string) => {
      let text = '';
      try {
        text = fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8');
      } catch {
        return;
      }
      for (const l of text.split('\n')) if (l) out.add(Number(l));
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
    };
    walk(base);
    return [...out];
  }

  freeze(): void {
    this.setFrozen(true);
  }

  thaw(): void {
    this.setFrozen(false);
  }

  private setFrozen(frozen: boolean): void {
    const want = frozen ? 'frozen' : 'thawed';
    if (this.layout.version === 2) {
      fs.writeFileSync(path.join(this.dirs()[''], 'cgroup.freeze'), frozen ? '1' : '0');
    } else {
      const dir = this.dirOf('freezer');
      if (!dir) throw new CgroupError('controller freezer not available on this host', 'NO_CONTROLLER');
      fs.writeFileSync(path.join(dir, 'freezer.state'), frozen ? 'FROZEN' : 'THAWED');
    }
    // Freezing is asynchronous: wait (bounded) until every task is frozen.
    const end = Date.now() + 5000;
    while (this.state() !== want) {
      if (Date.now() > end) throw new CgroupError(`timed out waiting for the cgroup to become ${want}`, 'TIMEOUT');
      if (this.layout.version === 1 && frozen) fs.writeFileSync(path.join(this.dirOf('freezer')!, 'freezer.state'), 'FROZEN');
      nap(2);
    }
  }

  state(): 'frozen' | 'thawed' | 'freezing' {
    if (this.layout.version === 2) {
      const dir = this.dirs()[''];
      const events = fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8');
      if (/^frozen 1$/m.test(events)) return 'frozen';
      return fs.readFileSync(path.join(dir, 'cgroup.freeze'), 'utf8').trim() === '1' ? 'freezing' : 'thawed';
    }
    const dir = this.dirOf('freezer');
    if (!dir) return 'thawed';
    const s = fs.readFileSync(path.join(dir, 'freezer.state'), 'utf8').trim();
    return s === 'FROZEN' ? 'frozen' : s === 'FREEZING' ? 'freezing' : 'thawed';
  }

  stats(): CgroupStats {
    return readStats(this.layout, (c) => this.dirOf(c));
  }

  oomKillCount(): number {
    const dir = this.dirOf('memory');
    if (!dir) return 0;
    const file = this.layout.version === 2 ? 'memory.events' : 'memory.oom_control';
    const m = /^oom_kill (\d+)$/m.exec(fs.readFileSync(path.join(dir, file), 'utf8'));
    return m ? Number(m[1]) : 0;
  }

  signalAll(signal: number): void {
    if (this.layout.version === 2 && signal === 9 && fs.existsSync(path.join(this.dirs()[''], 'cgroup.kill'))) {
      fs.writeFileSync(path.join(this.dirs()[''], 'cgroup.kill'), '1');
      return;
    }
    for (const pid of this.pids()) {
      try {
        process.kill(pid, signal);
      } catch {
        // exited meanwhile
      }
    }
  }

  /** rmdir children first; a cgroup whose last task is still exiting gives EBUSY for a moment. */
  destroy(): void {
    const rm = (d: string) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(d, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) if (e.isDirectory()) rm(path.join(d, e.name));
      const end = Date.now() + 2000;
      for (;;) {
        try {
          fs.rmdirSync(d);
          return;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') return;
          if (code !== 'EBUSY' || Date.now() > end) throw new CgroupError(`cannot remove cgroup ${d}: ${code}`, 'BUSY', undefined, d, code);
          nap(10);
        }
      }
    };
    for (const d of this.uniqueDirs()) rm(d);
  }
}

/**
 * v1 memory: memory.memsw.limit_in_bytes must stay >= memory.limit_in_bytes at every step, so
 * when the limit grows set memsw first, otherwise the limit first (runc does the same dance).
 */
function orderMemoryWrites(writes: CgroupWrite[], memDir: string | undefined): CgroupWrite[] {
  const lim = writes.find((w) => w.file === 'memory.limit_in_bytes');
  const sw = writes.find((w) => w.file === 'memory.memsw.limit_in_bytes');
  if (!lim || !sw || !memDir) return writes;
  let current = Infinity;
  try {
    current = Number(fs.readFileSync(path.join(memDir, 'memory.limit_in_bytes'), 'utf8'));
  } catch {
    // new cgroup
  }
  const rest = writes.filter((w) => w !== lim && w !== sw);
  return Number(lim.value) > current || lim.value === '-1' ? [sw, lim, ...rest] : [lim, sw, ...rest];
}
