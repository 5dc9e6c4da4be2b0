// Pure logic of the image service: docker's names over manager records, the pull reference the
// CLI's fromImage/tag make, X-Registry-Auth, progress lines, docker import's --change.
import { describe, expect, it } from 'vitest';
import { displayRef, decodeRegistryAuth, pullReference } from '../src/images';
import { applyChanges } from '../src/images/importRootfs';
import { danglingName, familiar, isDangling, repoDigest, repoTag, shortId } from '../src/images/names';
import { humanSizeSI, progressBar, progressMessage } from '../src/images/progress';

const D = `sha256:${'a'.repeat(64)}`;

describe('docker names over manager records', () => {
  it('turns record names into RepoTags and RepoDigests', () => {
    expect(repoTag('docker.io/library/busybox:latest')).toBe('busybox:latest');
    expect(repoTag('docker.io/alice/app:1')).toBe('alice/app:1');
    expect(repoTag('127.0.0.1:5000/x/y:v1')).toBe('127.0.0.1:5000/x/y:v1');
    expect(repoTag(`docker.io/library/busybox@${D}`)).toBeUndefined();
    expect(repoTag(danglingName(D))).toBeUndefined();
    expect(repoDigest('docker.io/library/busybox:latest', D)).toBe(`busybox@${D}`);
    expect(repoDigest(`localhost:5000/a@${D}`, `sha256:${'b'.repeat(64)}`)).toBe(`localhost:5000/a@${D}`);
    expect(isDangling(danglingName(D))).toBe(true);
    expect(familiar('docker.io/library/busybox:latest')).toBe('busybox:latest');
    expect(shortId(D)).toBe('aaaaaaaaaaaa');
  });

  it('names a missing image the way dockerd does', () => {
    expect(displayRef('busybox')).toBe('busybox:latest');
    expect(displayRef('docker.io/library/busybox:1')).toBe('busybox:1');
    expect(displayRef('3f57d9401f8d')).toBe('3f57d9401f8d');
    expect(displayRef('Not/Valid')).toBe('Not/Valid');
  });

  it('builds the pull reference from fromImage and tag (tag may be a digest)', () => {
    expect(pullReference('busybox', 'latest')).toBe('docker.io/library/busybox:latest');
    expect(pullReference('docker.io/library/busybox', '')).toBe('docker.io/library/busybox:latest');
    expect(pullReference('busybox:1.36', null)).toBe('docker.io/library/busybox:1.36');
    expect(pullReference('localhost:5000/a/b', D)).toBe(`localhost:5000/a/b@${D}`);
    expect(() => pullReference('', 'x')).toThrow(/fromImage/);
    expect(() => pullReference('library/BusyBox', 'x')).toThrow(/invalid reference format/);
  });
});

describe('X-Registry-Auth', () => {
  it('decodes base64url JSON and treats {} and absence as anonymous', () => {
    const h = Buffer.from(JSON.stringify({ username: 'alice', password: 'p?>>', serveraddress: 'r:5000' })).toString('base64url');
    expect(decodeRegistryAuth(h)).toEqual({ username: 'alice', password: 'p?>>', serveraddress: 'r:5000' });
    expect(decodeRegistryAuth(Buffer.from('{"username":"a","password":"b"}').toString('base64'))).toEqual({ username: 'a', password: 'b' });
    expect(decodeRegistryAuth(undefined)).toBeUndefined();
    expect(decodeRegistryAuth('e30=')).toBeUndefined();
    expect(() => decodeRegistryAuth('%%%')).toThrow(/X-Registry-Auth/);
  });
});

describe('progress lines', () => {
  it('draws docker progress bars with decimal units', () => {
    expect(humanSizeSI(2152262)).toBe('2.152MB');
    expect(humanSizeSI(999)).toBe('999B');
    expect(progressBar(0, 100)).toBe(`[${' '.repeat(50)}] 0B/100B`);
    expect(progressBar(50, 100)).toBe(`[${'='.repeat(24)}>${' '.repeat(25)}] 50B/100B`);
    expect(progressBar(100, 100)).toBe(`[${'='.repeat(50)}] 100B/100B`);
    expect(progressMessage('Downloading', 'abc', 1, 2)).toMatchObject({ status: 'Downloading', id: 'abc', progressDetail: { current: 1, total: 2 } });
  });
});

describe('docker import --change', () => {
  it('applies config-only instructions in JSON and shell form', () => {
    const c = applyChanges(['CMD ["/bin/sh", "-c", "echo hi"]', 'ENTRYPOINT /init', 'ENV A=1 B="two words"', 'WORKDIR /srv', 'USER 1000:1000', 'LABEL a=b', 'EXPOSE 80 53/udp', 'VOLUME /data', 'STOPSIGNAL SIGINT']);
    expect(c).toEqual({
      Cmd: ['/bin/sh', '-c', 'echo hi'],
      Entrypoint: ['/bin/sh', '-c', '/init'],
      Env: ['A=1', 'B=two words'],
      WorkingDir: '/srv',
      User: '1000:1000',
      Labels: { a: 'b' },
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      Volumes: { '/data': {} },
      StopSignal: 'SIGINT',
    });
    expect(applyChanges([]).Env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    expect(() => applyChanges(['RUN rm -rf /'])).toThrow('RUN is not a valid change command');
    expect(() => applyChanges(['ENV novalue'])).toThrow(/KEY=VALUE/);
    expect(() => applyChanges(['CMD'])).toThrow(/INSTRUCTION ARGS/);
  });
});
