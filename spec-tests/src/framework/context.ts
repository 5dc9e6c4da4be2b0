// What a test body works with: its own directory, bundles, the driver of the runtime under test,
// and helpers for the common shape "create, start, wait for stopped, read what the probe printed".
// Everything a test creates is recorded here so the runner can clean it up and check for leaks.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Spec } from '@strata/oci';
import { baseConfig, serializeConfig, shArgs } from './configBuilder';
import { RuntimeDriver, safeRead, type RuntimeCall } from './runtimeDriver';
import type { HostCapabilities } from './hostCapabilities';
import type { RuntimeInfo } from './runtimeInfo';
import { copyRootfs } from './rootfs';
import { processStartTime } from './leakCheck';
import { fail, clip } from './assert';

export interface SuiteOptions {
  /** fast-check runs for the property test. */
  propertyRuns: number;
  /** Longest random operation sequence. */
  propertyMaxCommands: number;
  /** Seed for fast-check (replays a reported failure). */
  propertySeed?: number;
  verbose: boolean;
}

export interface CreatedContainer {
  id: string;
  bundle: string;
  stdoutFile: string;
  stderrFile: string;
  call: RuntimeCall;
}

export interface RunOutput {
  id: string;
  bundle: string;
  stdout: string;
  stderr: string;
}

export class TestContext {
  readonly containerIds: string[] = [];
  readonly cgroupPaths: string[] = [];
  readonly pids: { pid: number; startTime: string }[] = [];
  /** Extra directories whose mounts/processes count as this test's (e.g. a rootfs copy). */
  readonly extraDirs: string[] = [];
  private readonly deferred: (() => Promise<void> | void)[] = [];
  private bundles = 0;

  constructor(
    readonly testId: string,
    readonly dir: string,
    readonly rootfs: string,
    readonly runtime: RuntimeDriver,
    readonly host: HostCapabilities,
    readonly info: RuntimeInfo,
    readonly options: SuiteOptions,
    readonly log: (line: string) => void,
  ) {}

  /** A container id unique to this run: sst-<test>-<random>. */
  newId(tag = ''): string {
    const base = this.testId.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 32);
    const id = `sst-${base}${tag ? `-${tag}` : ''}-${crypto.randomBytes(3).toString('hex')}`;
    this.containerIds.push(id);
    return id;
  }

  /** The base config with `args` (a string means `sh -c STRING`). */
  config(args: string[] | string): Spec {
    return baseConfig({ args: typeof args === 'string' ? shArgs(args) : args, rootfs: this.rootfs });
  }

  /** Write a bundle directory with this config.json; returns its absolute path. */
  bundle(config: Spec, name = `bundle-${++this.bundles}`): string {
    const dir = path.join(this.dir, name);
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'config.json'), serializeConfig(config));
    if (config.linux?.cgroupsPath) this.cgroupPaths.push(config.linux.cgroupsPath);
    if (this.options.verbose) this.log(`config.json of ${dir}:\n${serializeConfig(config)}`);
    return dir;
  }

  /** A private, writable copy of the rootfs for tests that write to it. */
  async writableRootfs(name = 'rootfs'): Promise<string> {
    const dest = path.join(this.dir, name);
    await copyRootfs(this.rootfs, dest);
    return dest;
  }

  /** Run `fn` during cleanup (reverse order), even when the test failed or timed out. */
  defer(fn: () => Promise<void> | void): void {
    this.deferred.push(fn);
  }

  /** Remember a container pid so the leak check can tell whether it outlived delete. */
  notePid(pid: number | undefined): void {
    if (!pid || pid <= 0) return;
    const startTime = processStartTime(pid);
    if (startTime && !this.pids.some((p) => p.pid === pid)) this.pids.push({ pid, startTime });
  }

  /** `create` with the container's stdio going to files in the bundle. Does not assert. */
  async create(config: Spec, opts: { id?: string; pidFile?: string; bundle?: string } = {}): Promise<CreatedContainer> {
    const id = opts.id ?? this.newId();
    const bundle = opts.bundle ?? this.bundle(config);
    const stdoutFile = path.join(bundle, 'stdout.log');
    const stderrFile = path.join(bundle, 'stderr.log');
    const call = await this.runtime.create(id, bundle, { pidFile: opts.pidFile, stdoutFile, stderrFile });
    if (call.ok) this.notePid((await this.runtime.state(id)).state?.pid);
    return { id, bundle, stdoutFile, stderrFile, call };
  }

  /** `create` that must succeed. */
  async mustCreate(config: Spec, opts: { id?: string; pidFile?: string } = {}): Promise<CreatedContainer> {
    const c = await this.create(config, opts);
    if (!c.call.ok) fail(`create failed (exit ${c.call.code}): ${clip(c.call.stderr || c.call.stdout)}`);
    return c;
  }

  async mustStart(id: string): Promise<void> {
    const r = await this.runtime.start(id);
    if (!r.ok) fail(`start failed (exit ${r.code}): ${clip(r.stderr || r.stdout)}`);
  }

  async mustReachStatus(id: string, wanted: string[], timeoutMs = 10_000): Promise<string> {
    const s = await this.runtime.waitForStatus(id, wanted, timeoutMs);
    if (s === undefined || !wanted.includes(s)) fail(`state of ${id}: expected status ${wanted.join(' or ')} within ${timeoutMs} ms, got ${s ?? 'an error'}`);
    return s;
  }

  /**
   * The common probe: create, start, wait until stopped, read the output, delete.
   * Fails the test if any step the spec requires to succeed does not.
   */
  async run(config: Spec, opts: { timeoutMs?: number } = {}): Promise<RunOutput> {
    const c = await this.mustCreate(config);
    await this.mustStart(c.id);
    await this.mustReachStatus(c.id, ['stopped'], opts.timeoutMs ?? 10_000);
    const out = { id: c.id, bundle: c.bundle, stdout: safeRead(c.stdoutFile), stderr: safeRead(c.stderrFile) };
    if (this.options.verbose) this.log(`container output:\n${out.stdout}${out.stderr ? `\n(stderr) ${out.stderr}` : ''}`);
    const d = await this.runtime.delete(c.id);
    if (!d.ok) fail(`delete of the stopped container failed (exit ${d.code}): ${clip(d.stderr)}`);
    return out;
  }

  /** create must generate an error (and, runtime.md#errors, leave no container behind). */
  async expectCreateError(config: Spec, what: string): Promise<RuntimeCall> {
    const c = await this.create(config);
    if (c.call.ok) {
      fail(`${what}: create succeeded, the spec requires an error`);
    }
    const s = await this.runtime.state(c.id);
    if (s.call.ok) fail(`${what}: create failed but left a container behind (state says ${s.state?.status})`);
    return c.call;
  }

  /** Runs deferred cleanups, then `delete --force` on every container this test named. */
  async cleanup(): Promise<string[]> {
    const problems: string[] = [];
    this.runtime.aborted = false; // cleanup calls must run even after a timeout
    for (const fn of this.deferred.reverse()) {
      try {
        await fn();
      } catch (e) {
        problems.push(`cleanup: ${(e as Error).message}`);
      }
    }
    for (const id of this.containerIds) {
      const s = await this.runtime.state(id);
      if (s.call.ok) await this.runtime.delete(id, true);
    }
    return problems;
  }
}
