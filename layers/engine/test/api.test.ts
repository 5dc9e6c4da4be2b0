// The HTTP plumbing's pure parts: version negotiation, routing, stream framing, daemon flags.
import { describe, expect, it } from 'vitest';
import { Router } from '../src/api/router';
import { demux, frame } from '../src/api/stdcopy';
import { splitVersion } from '../src/api/version';
import { parseArgs } from '../src/config';

describe('API versions', () => {
  it('strips /v1.NN and refuses versions out of range with docker’s words', () => {
    expect(splitVersion('/v1.45/containers/json')).toEqual({ version: '1.45', path: '/containers/json' });
    expect(splitVersion('/_ping')).toEqual({ version: '1.50', path: '/_ping' });
    expect(() => splitVersion('/v1.24/version')).toThrow('client version 1.24 is too old. Minimum supported API version is 1.41, please upgrade your client to a newer version');
    expect(() => splitVersion('/v1.99/version')).toThrow('client version 1.99 is too new. Maximum supported API version is 1.50');
  });
});

describe('router', () => {
  const r = new Router();
  const h = () => {};
  r.add([
    { method: 'GET', pattern: '/containers/{id}/json', handler: h },
    { method: 'DELETE', pattern: '/images/{name*}', handler: h },
  ]);
  it('matches parameters, rest-of-path parameters, HEAD as GET, wrong methods', () => {
    expect(r.match('GET', '/containers/abc/json')).toMatchObject({ params: { id: 'abc' } });
    expect(r.match('DELETE', '/images/docker.io/library/busybox:latest')).toMatchObject({ params: { name: 'docker.io/library/busybox:latest' } });
    expect(r.match('HEAD', '/containers/abc/json')).toMatchObject({ params: { id: 'abc' } });
    expect(r.match('POST', '/containers/abc/json')).toBe('method');
    expect(r.match('GET', '/nope')).toBeUndefined();
  });
});

describe('stream framing', () => {
  it('frames and unframes stdout and stderr', () => {
    const b = Buffer.concat([frame('stdout', Buffer.from('out')), frame('stderr', Buffer.from('err!'))]);
    expect([...b.subarray(0, 8)]).toEqual([1, 0, 0, 0, 0, 0, 0, 3]);
    expect(demux(b).map((f) => [f.stream, f.data.toString()])).toEqual([
      [1, 'out'],
      [2, 'err!'],
    ]);
  });
});

describe('daemon flags', () => {
  it("takes dockerd's flags", () => {
    const p = parseArgs(['-H', 'unix:///tmp/a.sock', '--host=unix:///tmp/b.sock', '--data-root', '/d', '--iptables=false', '--bridge', 'none', '--containerd', 'unix:///m.sock']);
    expect(p.kind).toBe('run');
    if (p.kind !== 'run') return;
    expect(p.config.hosts).toEqual(['unix:///tmp/a.sock', 'unix:///tmp/b.sock']);
    expect([p.config.dataRoot, p.config.iptables, p.config.bridge, p.config.containerd]).toEqual(['/d', false, 'none', '/m.sock']);
    expect(() => parseArgs(['-H', 'tcp://0.0.0.0:2375'])).toThrow('only unix://ABSOLUTE-PATH sockets are served');
    expect(() => parseArgs(['--data-root', 'rel'])).toThrow('--data-root must be an absolute path');
    expect(() => parseArgs(['--log-level', 'loud'])).toThrow('invalid --log-level');
    expect(() => parseArgs(['--bogus'])).toThrow('unknown flag: --bogus');
    expect(parseArgs(['--help']).kind).toBe('help');
  });
});
