// Pure logic of volumes: the local driver's name rule, anonymous names, driver options.
import { describe, expect, it } from 'vitest';
import { anonymousVolumeName, validateVolumeName } from '../src/volumes';
import { parseLocalOptions } from '../src/volumes/mountOptions';

describe('volume names and options', () => {
  it('accepts the local driver names and refuses paths', () => {
    for (const ok of ['v1', 'my_vol.2', 'A-b', anonymousVolumeName()]) expect(() => validateVolumeName(ok)).not.toThrow();
    for (const bad of ['a', '', '.hidden', '..', 'a/b', '/abs', 'sp ace', '-x', 'x'.repeat(256)]) expect(() => validateVolumeName(bad)).toThrow(/invalid characters for a local volume name/);
    expect(anonymousVolumeName()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads type/device/o and refuses what it cannot do', () => {
    expect(parseLocalOptions(undefined)).toBeUndefined();
    expect(parseLocalOptions({})).toBeUndefined();
    expect(parseLocalOptions({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m' })).toEqual({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
    expect(parseLocalOptions({ o: 'bind', device: '/srv/data' })).toEqual({ type: undefined, device: '/srv/data', o: 'bind' });
    expect(() => parseLocalOptions({ type: 'tmpfs' })).toThrow('missing required option: "device"');
    expect(() => parseLocalOptions({ device: '/x' })).toThrow(/missing required option: "type"/);
    expect(() => parseLocalOptions({ colour: 'x' })).toThrow('invalid option: "colour"');
    expect(() => parseLocalOptions({ size: '1g' })).toThrow(/quota/);
    expect(() => parseLocalOptions({ type: 'ext4;rm', device: '/dev/x' })).toThrow(/invalid filesystem type/);
  });
});
