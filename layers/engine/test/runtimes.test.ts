// OCI runtime names (src/runtimes.ts): dockerd's --add-runtime/--default-runtime, our
// --default-shim, and the containerd.runc.v1.Options bytes that carry an added runtime's binary.
import { describe, expect, it } from 'vitest';
import { parseArgs, runtimesOf } from '../src/config';
import { runcOptionsAny } from '../src/runtimes';

const config = (argv: string[]) => {
  const p = parseArgs(argv);
  if (p.kind !== 'run') throw new Error('expected a run configuration');
  return p.config;
};

describe('runtimes', () => {
  it('a shim name is a runtime; an added name runs its binary under the default shim', () => {
    const r = runtimesOf(config(['--add-runtime', 'crun=/usr/bin/crun', '--add-runtime=runc=/usr/sbin/runc', '--default-runtime', 'io.containerd.runc.v2']));
    expect(r.resolve(undefined)).toEqual({ shim: 'io.containerd.runc.v2' });
    expect(r.resolve('io.containerd.strata.v2')).toEqual({ shim: 'io.containerd.strata.v2' });
    expect(r.resolve('crun')).toEqual({ shim: 'io.containerd.runc.v2', binary: '/usr/bin/crun' });
    expect(r.info()).toMatchObject({ crun: { path: '/usr/bin/crun' }, runc: { path: '/usr/sbin/runc' }, 'io.containerd.strata.v2': { runtimeType: 'io.containerd.strata.v2' } });
    expect(() => r.resolve('nope')).toThrow('Unknown runtime specified nope');
    try {
      r.resolve('nope');
    } catch (e) {
      expect((e as { status: number }).status).toBe(400);
    }
  });

  it('--default-runtime may name an added runtime; --default-shim picks the shim that drives it', () => {
    const r = runtimesOf(config(['--add-runtime', 'crun=/usr/bin/crun', '--default-runtime', 'crun', '--default-shim', 'io.containerd.runc.v2']));
    expect(r.resolve('')).toEqual({ shim: 'io.containerd.runc.v2', binary: '/usr/bin/crun' });
    // without --default-shim, an added default runtime is driven by strata's shim
    expect(runtimesOf(config(['--add-runtime', 'crun=/usr/bin/crun', '--default-runtime', 'crun'])).resolve(undefined).shim).toBe('io.containerd.strata.v2');
  });

  it('bad flags name themselves', () => {
    expect(() => parseArgs(['--default-runtime', 'nope'])).toThrow('invalid --default-runtime "nope"');
    expect(() => parseArgs(['--default-shim', 'crun'])).toThrow('invalid --default-shim "crun"');
    expect(() => parseArgs(['--add-runtime', 'crun'])).toThrow('expected NAME=PATH');
    expect(() => parseArgs(['--add-runtime', 'crun=bin/crun'])).toThrow('the path must be absolute');
    expect(() => parseArgs(['--add-runtime', 'a b=/x'])).toThrow('invalid --add-runtime name');
    expect(() => parseArgs(['--add-runtime', 'io.containerd.runc.v2=/x'])).toThrow("the name is a shim's");
    expect(() => parseArgs(['--add-runtime', 'x=/a', '--add-runtime', 'x=/b'])).toThrow('given twice');
  });

  it('containerd.runc.v1.Options{binary_name} in protobuf wire format', () => {
    const a = runcOptionsAny('/usr/sbin/runc');
    expect(a.typeUrl).toBe('containerd.runc.v1.Options');
    expect([...a.value.slice(0, 2)]).toEqual([0x32, 14]); // field 6, length-delimited; 14 bytes
    expect(Buffer.from(a.value.slice(2)).toString()).toBe('/usr/sbin/runc');
    // a length over 127 takes a two-byte varint
    const long = runcOptionsAny(`/${'x'.repeat(199)}`);
    expect([...long.value.slice(0, 3)]).toEqual([0x32, 0xc8, 0x01]);
    expect(long.value.length).toBe(203);
  });
});
