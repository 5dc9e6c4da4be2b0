// Pure pieces of the runtime service: the CRI log writer (records, partial lines, rotation),
// Go's RFC3339Nano, user resolution from an image's /etc/passwd and /etc/group, capability sets.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CriLogWriter, MAX_LOG_LINE, rfc3339Nano } from '../src/runtime/criLog';
import { capabilitySet, parseGroup, parsePasswd, resolveUser } from '../src/runtime/securityContext';
import { restrictOomScoreAdj } from '../src/runtime/spec';

const records = (f: string) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => {
  const [ts, stream, tag, ...rest] = l.split(' ');
  return { ts, stream, tag, text: rest.join(' ') };
});

describe('CRI log writer', () => {
  it('writes one record per line, joins lines split across chunks, keeps streams apart', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crilog-'));
    const f = path.join(dir, 'sub', 'c.log');
    const w = new CriLogWriter(f);
    w.write('stdout', Buffer.from('hel'));
    w.write('stderr', Buffer.from('err line\n'));
    w.write('stdout', Buffer.from('lo\nworld\n\nlast'));
    w.close();
    expect(records(f).map((r) => [r.stream, r.tag, r.text])).toEqual([
      ['stderr', 'F', 'err line'],
      ['stdout', 'F', 'hello'],
      ['stdout', 'F', 'world'],
      ['stdout', 'F', ''],
      ['stdout', 'F', 'last'],
    ]);
    for (const r of records(f)) expect(r.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
    fs.rmSync(dir, { recursive: true });
  });

  it('cuts lines over 16 KiB into P records; reopen continues in a new file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crilog-'));
    const f = path.join(dir, 'c.log');
    const w = new CriLogWriter(f);
    w.write('stdout', Buffer.alloc(MAX_LOG_LINE * 2 + 10, 'x'));
    w.write('stdout', Buffer.from('y\n'));
    fs.renameSync(f, `${f}.1`);
    w.reopen();
    w.write('stdout', Buffer.from('after\n'));
    w.close();
    expect(records(`${f}.1`).map((r) => [r.tag, r.text.length])).toEqual([['P', MAX_LOG_LINE], ['P', MAX_LOG_LINE], ['F', 11]]);
    expect(records(f).map((r) => r.text)).toEqual(['after']);
    fs.rmSync(dir, { recursive: true });
  });

  it('formats timestamps as Go RFC3339Nano (trailing zeros trimmed)', () => {
    expect(rfc3339Nano(1_700_000_000_123_456_789n)).toBe('2023-11-14T22:13:20.123456789Z');
    expect(rfc3339Nano(1_700_000_000_120_000_000n)).toBe('2023-11-14T22:13:20.12Z');
    expect(rfc3339Nano(1_700_000_000_000_000_000n)).toBe('2023-11-14T22:13:20Z');
  });
});

describe('security context helpers', () => {
  const files = { passwd: parsePasswd('root:x:0:0:root:/root:/bin/sh\napp:x:1000:2000::/home/app:/bin/sh\n'), group: parseGroup('root:x:0:\nstaff:x:50:app,other\napp:x:2000:\n') };
  it('resolves users: uid + primary gid from passwd, groups listing the user, supplemental groups', () => {
    expect(resolveUser({ runAsUser: { value: 1000 } }, '', () => files)).toMatchObject({ uid: 1000, gid: 2000, additionalGids: [50] });
    expect(resolveUser({ runAsUser: { value: 1000 }, runAsGroup: { value: 7 }, supplementalGroups: [9] }, '', () => files)).toMatchObject({ uid: 1000, gid: 7, additionalGids: [50, 9] });
    expect(resolveUser({ runAsUsername: 'app' }, '', () => files)).toMatchObject({ uid: 1000, gid: 2000 });
    expect(resolveUser({}, 'app:staff', () => files)).toMatchObject({ uid: 1000, gid: 50 });
    expect(resolveUser({}, '33:44', () => files)).toMatchObject({ uid: 33, gid: 44 });
    expect(() => resolveUser({ runAsUsername: 'ghost' }, '', () => files)).toThrow(/run_as_username/);
  });
  it('builds capability sets in containerd order and never beyond our bounding set', () => {
    const warns: string[] = [];
    const none = capabilitySet({ dropCapabilities: ['ALL'], addCapabilities: ['net_raw'] }, false, (m) => warns.push(m));
    expect(none).toEqual(['CAP_NET_RAW']);
    const all = capabilitySet({ addCapabilities: ['ALL'], dropCapabilities: ['CHOWN'] }, false, (m) => warns.push(m));
    expect(all).not.toContain('CAP_CHOWN');
    expect(all).toContain('CAP_NET_ADMIN');
    const bnd = BigInt(`0x${/^CapBnd:\s+(\w+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]}`);
    if (!(bnd & (1n << 24n))) expect(capabilitySet({ addCapabilities: ['SYS_RESOURCE'] }, false, (m) => warns.push(m))).not.toContain('CAP_SYS_RESOURCE');
    expect(() => capabilitySet({ addCapabilities: ['BOGUS'] }, false, () => {})).toThrow(/add_capabilities/);
  });
  it('clamps oom_score_adj to what this process may set (no CAP_SYS_RESOURCE: not below our own)', () => {
    const own = Number(fs.readFileSync('/proc/self/oom_score_adj', 'utf8'));
    expect(restrictOomScoreAdj(-998)).toBe(Math.max(own, -998));
    expect(restrictOomScoreAdj(500)).toBe(Math.max(own, 500));
    expect(restrictOomScoreAdj(5000)).toBe(1000);
  });
});
