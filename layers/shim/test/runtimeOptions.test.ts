// The runtime options the shim accepts: runc's Options, and runtimeoptions' config file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { packAny, RuncOptionsType, RuntimeOptionsType } from '../src/proto';
import { parseRuntimeConfig, runtimeOptions } from '../src/runtimeOptions';

describe('runtime options', () => {
  it('reads containerd.runc.v1.Options (ctr --runc-binary)', () => {
    expect(runtimeOptions(packAny(RuncOptionsType, { binaryName: 'crun', root: '/run/x', shimCgroup: '/shims' }))).toMatchObject({ binaryName: 'crun', root: '/run/x', shimCgroup: '/shims' });
    expect(runtimeOptions(undefined)).toBeUndefined();
  });

  it('reads a runtimeoptions.v1.Options config file (ctr --runtime-config-path)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-ro-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const f = path.join(dir, 'runtime.toml');
    fs.writeFileSync(f, '# engine for this runtime\nBinaryName = "runc"  # the engine\nRoot = \'/run/strata-runc\'\nSystemdCgroup = false\n');
    expect(runtimeOptions(packAny(RuntimeOptionsType, { typeUrl: 'x', configPath: f }))).toEqual({ binaryName: 'runc', root: '/run/strata-runc', systemdCgroup: false });
    expect(runtimeOptions(packAny(RuntimeOptionsType, { configBody: Buffer.from('BinaryName = "crun"') }))).toEqual({ binaryName: 'crun' });
    expect(() => runtimeOptions(packAny(RuntimeOptionsType, { configPath: f + '.missing' }))).toThrow(/^options.config_path: cannot read/);
  });

  it('names the file, line and key of a bad config', () => {
    expect(() => parseRuntimeConfig('BinaryName = "runc"\nBinaryNam = "x"', 'rt.toml')).toThrow('rt.toml:2: unknown key BinaryNam');
    expect(() => parseRuntimeConfig('SystemdCgroup = "yes"', 'rt.toml')).toThrow('rt.toml:1: SystemdCgroup must be true or false');
    expect(() => parseRuntimeConfig('Root = /run', 'rt.toml')).toThrow('rt.toml:1: Root must be a quoted string');
    expect(() => parseRuntimeConfig('[section]', 'rt.toml')).toThrow('rt.toml:1: expected Key = value');
  });

  it('refuses other option types, naming the field', () => {
    expect(() => runtimeOptions({ typeUrl: 'example.com/Other', value: Uint8Array.from([1]) })).toThrow(/^options: unsupported type example.com\/Other/);
  });
});
