// Pure parts of the syscall layer: signal names, capability numbers, /proc parsing.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signalNumber, signalName, capabilityNumber, capMask, readMountInfo, processStartTime, processLiveness, decodeWaitStatus } from '../src/sys';

describe('signals', () => {
  it.each([
    ['KILL', 9], ['SIGKILL', 9], ['9', 9], ['term', 15], ['SIGRTMIN', 34], ['RTMIN+3', 37], ['SIGRTMAX-1', 63], ['USR1', 10],
  ])('%s -> %d', (name, n) => expect(signalNumber(name)).toBe(n));
  it('refuses unknown signals with runc words', () => {
    expect(() => signalNumber('FOO')).toThrow('unknown signal "FOO"');
    expect(() => signalNumber('99')).toThrow(/unknown signal/);
    expect(signalName(15)).toBe('SIGTERM');
  });
});

describe('capabilities', () => {
  it('maps names to numbers and masks', () => {
    expect(capabilityNumber('CAP_CHOWN')).toBe(0);
    expect(capabilityNumber('CAP_SYS_ADMIN')).toBe(21);
    expect(capabilityNumber('CAP_CHECKPOINT_RESTORE')).toBe(40);
    expect(capMask(['CAP_KILL', 'CAP_NET_RAW', 'CAP_BOGUS'])).toEqual({ mask: (1n << 5n) | (1n << 13n), unknown: ['CAP_BOGUS'] });
  });
});

describe('/proc readers', () => {
  it('parses this process mountinfo (root mount present, escapes decoded)', () => {
    const m = readMountInfo();
    expect(m.some((e) => e.mountPoint === '/')).toBe(true);
    expect(m.every((e) => e.fstype && !e.mountPoint.includes('\\040'))).toBe(true);
  });
  it('reads start times and detects pid reuse', () => {
    const st = processStartTime(process.pid)!;
    expect(st).toMatch(/^\d+$/);
    expect(processLiveness(process.pid, st)).toBe('alive');
    expect(processLiveness(process.pid, String(Number(st) + 1))).toBe('gone');
    expect(processLiveness(2 ** 22 + 7)).toBe('gone');
    expect(fs.existsSync('/proc/self/stat')).toBe(true);
  });
  it('decodes wait statuses', () => {
    expect(decodeWaitStatus(3 << 8)).toMatchObject({ exited: true, exitCode: 3 });
    expect(decodeWaitStatus(9)).toMatchObject({ signaled: true, signal: 9 });
  });
});
