// Unit tests of the strata CLI's pure parts: flag parsing, Go templates, docker's tables, human
// units, progress bars, stream demultiplexing, reference parsing, container config, dockerignore, tar.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFlags } from '../src/cli/strata/flags';
import { compileTemplate, goJson } from '../src/cli/strata/format/template';
import { tabwrite } from '../src/cli/strata/format/table';
import { goG, humanDuration, humanSize, parseGoDuration, ramInBytes, timeAgo } from '../src/cli/strata/format/units';
import { ProgressDisplay, progressBar } from '../src/cli/strata/format/progress';
import { JsonSplitter, StdioDemuxer, quoteTimeNano } from '../src/cli/strata/stream';

/** One multiplexed-stream frame: [stream, 0, 0, 0, uint32 BE length] + payload. */
function frame(stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}
import { canonicalRef, parseImageRef, splitForPull } from '../src/cli/strata/reference';
import { buildCreateBody, parseEnv, parsePublish, parseVolume } from '../src/cli/strata/containerConfig';
import { isExcluded, parseDockerignore } from '../src/build/dockerignore';
import { TarWriter, extractTar, readTar } from '../src/cli/strata/tar';
import { compareVersions, parseHost } from '../src/cli/strata/client';
import { containerRow, displayPorts, ellipsis } from '../src/cli/strata/commands/containers';
import { imageRows } from '../src/cli/strata/commands/images';
import { eventLine } from '../src/cli/strata/commands/system';
import { statsRow } from '../src/cli/strata/format/stats';
import { CREATE_FLAGS } from '../src/cli/strata/containerConfig';
import { runtimeExitCode } from '../src/cli/strata/errors';
import { splitCpArg } from '../src/cli/strata/commands/cp';

describe('flags (pflag rules)', () => {
  const defs = [
    { name: 'interactive', short: 'i', kind: 'bool' as const, desc: '' },
    { name: 'tty', short: 't', kind: 'bool' as const, desc: '' },
    { name: 'env', short: 'e', kind: 'list' as const, desc: '' },
    { name: 'name', kind: 'string' as const, desc: '' },
    { name: 'time', short: 's', kind: 'int' as const, desc: '' },
  ];
  it('bundles short booleans, takes values inline or from the next word, repeats lists', () => {
    const p = parseFlags(['-it', '-eA=1', '-e', 'B=2', '--name=c1', '--env', 'C=3', '-s5', 'img', 'ls', '-l'], defs, { command: 'run', interspersed: false });
    expect(p.flags).toEqual({ interactive: true, tty: true, env: ['A=1', 'B=2', 'C=3'], name: 'c1', time: 5 });
    expect(p.args).toEqual(['img', 'ls', '-l']);
  });
  it('interspersed commands read flags after positionals; -- ends flags', () => {
    expect(parseFlags(['c1', '--name', 'x', '--', '-i'], defs, { command: 'ps' })).toMatchObject({ flags: { name: 'x' }, args: ['c1', '-i'] });
  });
  it('rejects unknown flags and missing values with exit 125 and docker wording', () => {
    expect(() => parseFlags(['--nope'], defs, { command: 'ps' })).toThrow('unknown flag: --nope');
    expect(() => parseFlags(['-x'], defs, { command: 'ps' })).toThrow("unknown shorthand flag: 'x' in -x");
    expect(() => parseFlags(['--name'], defs, { command: 'ps' })).toThrow('flag needs an argument: --name');
    expect(() => parseFlags(['--time', 'abc'], defs, { command: 'ps' })).toThrow(/invalid argument "abc" for "--time" flag/);
    try {
      parseFlags(['--nope'], defs, { command: 'ps' });
    } catch (e) {
      expect((e as { exitCode: number }).exitCode).toBe(125);
    }
  });
  it('--help and -h (when -h is not a flag of the command)', () => {
    expect(parseFlags(['--help'], defs, { command: 'ps' }).help).toBe(true);
    expect(parseFlags(['-h'], defs, { command: 'ps' }).help).toBe(true);
    const withH = parseFlags(['-h', 'box'], [{ name: 'hostname', short: 'h', kind: 'string', desc: '' }], { command: 'run' });
    expect(withH).toMatchObject({ help: false, flags: { hostname: 'box' } });
  });
});

describe('Go templates (docker --format)', () => {
  const c = { ID: 'abc', State: { Status: 'running', Running: true }, Config: { Env: ['A=1', 'B=2'], Labels: { b: '2', a: '1' } }, Empty: [], Nil: null };
  const t = (s: string, d: unknown = c) => compileTemplate(s).execute(d);
  it('fields, nested fields, missing keys, nil', () => {
    expect(t('{{.ID}} {{.State.Status}}')).toBe('abc running');
    expect(t('{{.Nope}}')).toBe('<no value>');
    expect(t('{{.Nil}}')).toBe('<nil>');
    expect(t('{{.Config.Env}}')).toBe('[A=1 B=2]');
    expect(t('{{.Config.Labels}}')).toBe('map[a:1 b:2]');
  });
  it('json with Go escaping, index, join, upper, len, printf, pipelines', () => {
    expect(t('{{json .Config.Labels}}')).toBe('{"a":"1","b":"2"}');
    expect(goJson({ d: '<none>' })).toBe('{"d":"\\u003cnone\\u003e"}');
    expect(t('{{index .Config.Labels "a"}}')).toBe('1');
    expect(t('{{join .Config.Env ","}}')).toBe('A=1,B=2');
    expect(t('{{.ID | upper}} {{len .Config.Env}}')).toBe('ABC 2');
    expect(t('{{printf "%s-%d" .ID 3}}')).toBe('abc-3');
    expect(t('{{upper (index .Config.Labels "b")}}')).toBe('2');
  });
  it('range, if/else if/else, with, variables, trim markers', () => {
    expect(t('{{range .Config.Env}}[{{.}}]{{end}}')).toBe('[A=1][B=2]');
    expect(t('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}')).toBe('a=1;b=2;');
    expect(t('{{range .Empty}}x{{else}}none{{end}}')).toBe('none');
    expect(t('{{if .State.Running}}up{{else}}down{{end}}')).toBe('up');
    expect(t('{{if .Nil}}a{{else if .State.Running}}b{{else}}c{{end}}')).toBe('b');
    expect(t('{{with .State}}{{.Status}}{{end}}')).toBe('running');
    expect(t('a  {{- .ID -}}  b')).toBe('aabcb');
    expect(t('{{if eq .State.Status "running"}}yes{{end}}')).toBe('yes');
  });
  it('methods with arguments ({{.Label "k"}}) and parse errors', () => {
    expect(compileTemplate('{{.Label "x"}}').execute({ Label: (k: string) => `v-${k}` })).toBe('v-x');
    expect(() => compileTemplate('{{.ID')).toThrow(/unclosed action/);
    expect(() => compileTemplate('{{range .X}}')).toThrow(/missing \{\{end\}\}/);
    expect(() => t('{{nofunc .ID}}')).toThrow(/function "nofunc" not defined/);
  });
});

describe('tables like text/tabwriter (minwidth 10, padding 3)', () => {
  it('pads each column to max(widest + 3, 10) and leaves the last one alone', () => {
    expect(tabwrite('CONTAINER ID\tIMAGE\tNAMES\ne85aa40b8763\tbusybox\tc1\n')).toBe('CONTAINER ID   IMAGE     NAMES\ne85aa40b8763   busybox   c1\n');
    expect(tabwrite('a\tbbbbbbbbbbbbbb\tc\n')).toBe('a         bbbbbbbbbbbbbb   c\n');
    expect(tabwrite('UID\tPID\nroot\t1\n', { minWidth: 20 })).toBe(`UID${' '.repeat(17)}PID\nroot${' '.repeat(16)}1\n`);
  });
});

describe('units (go-units)', () => {
  it('sizes in powers of 1000 with 3 significant digits', () => {
    expect(humanSize(1982000)).toBe('1.98MB');
    expect(humanSize(1982000, 4)).toBe('1.982MB');
    expect(humanSize(0)).toBe('0B');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(4096)).toBe('4.1kB');
    expect(humanSize(12288)).toBe('12.3kB');
    expect(humanSize(100e6)).toBe('100MB');
    expect(goG(0.5, 3)).toBe('0.5');
  });
  it('durations as docker words them', () => {
    expect(humanDuration(500)).toBe('Less than a second');
    expect(humanDuration(1000)).toBe('1 second');
    expect(humanDuration(47_000)).toBe('47 seconds');
    expect(humanDuration(90_000)).toBe('About a minute');
    expect(humanDuration(2 * 60_000)).toBe('2 minutes');
    expect(humanDuration(3_600_000)).toBe('About an hour');
    expect(humanDuration(5 * 3_600_000)).toBe('5 hours');
    expect(humanDuration(3 * 86_400_000)).toBe('3 days');
    expect(humanDuration(3 * 7 * 86_400_000)).toBe('3 weeks');
    expect(humanDuration(26.9 * 365 * 86_400_000)).toBe('26 years');
    expect(timeAgo(100, 102_500)).toBe('2 seconds ago');
  });
  it('durations and sizes on the command line', () => {
    expect(parseGoDuration('1h30m')).toBe(5_400_000);
    expect(parseGoDuration('10s')).toBe(10_000);
    expect(parseGoDuration('x')).toBeUndefined();
    expect(ramInBytes('512m')).toBe(512 * 1024 * 1024);
    expect(ramInBytes('1g')).toBe(1024 ** 3);
    expect(ramInBytes('1024')).toBe(1024);
    expect(() => ramInBytes('lots')).toThrow(/invalid size/);
  });
});

describe('progress (jsonmessage)', () => {
  it('draws a 50-column bar with the numbers', () => {
    expect(progressBar(50, 100)).toBe(`[${'='.repeat(25)}>${' '.repeat(24)}]      50B/100B`);
    expect(progressBar(100, 100)).toBe(`[${'='.repeat(50)}]     100B/100B`);
  });
  it('on a terminal rewrites the line of an id in place; otherwise drops progress updates', () => {
    let tty = '';
    const d = new ProgressDisplay({ write: (s: string) => ((tty += s), true) } as unknown as NodeJS.WritableStream, true);
    d.show({ id: 'a', status: 'Pulling fs layer' });
    d.show({ id: 'b', status: 'Pulling fs layer' });
    d.show({ id: 'a', status: 'Downloading', progressDetail: { current: 1, total: 2 } });
    expect(tty).toContain('a: Pulling fs layer\nb: Pulling fs layer\n\x1b[2A\x1b[2K\ra: Downloading [');
    let plain = '';
    const p = new ProgressDisplay({ write: (s: string) => ((plain += s), true) } as unknown as NodeJS.WritableStream, false);
    p.show({ id: 'a', status: 'Downloading', progressDetail: { current: 1, total: 2 } });
    p.show({ id: 'a', status: 'Pull complete' });
    p.show({ status: 'Digest: sha256:x' });
    expect(plain).toBe('a: Pull complete\nDigest: sha256:x\n');
    expect(() => p.show({ errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' })).toThrow('manifest unknown');
  });
});

describe('streams', () => {
  it('demultiplexes frames cut at any byte boundary', () => {
    const wire = Buffer.concat([frame(1, Buffer.from('out\n')), frame(2, Buffer.from('err\n')), frame(1, Buffer.alloc(0)), frame(1, Buffer.from('x'.repeat(70000)))]);
    for (const step of [1, 3, 7, 8, 9, 4096]) {
      const got: [number, string][] = [];
      const d = new StdioDemuxer((s, p) => got.push([s, p.toString()]));
      for (let i = 0; i < wire.length; i += step) d.push(wire.subarray(i, i + step));
      expect(got.map(([s, p]) => [s, p.length])).toEqual([
        [1, 4],
        [2, 4],
        [1, 0],
        [1, 70000],
      ]);
      expect(d.pending).toBe(0);
    }
    expect(() => new StdioDemuxer(() => {}).push(Buffer.from('hello world!'))).toThrow(/unrecognized input header/);
  });
  it('splits concatenated JSON values, with braces inside strings, across chunks', () => {
    const got: unknown[] = [];
    const s = new JsonSplitter((v) => got.push(v));
    const text = '{"a":"}{\\"x"}\r\n{"b":[1,{"c":2}]}{"d":1}\n';
    for (const ch of text) s.push(ch);
    expect(got).toEqual([{ a: '}{"x' }, { b: [1, { c: 2 }] }, { d: 1 }]);
    const exact: any[] = [];
    new JsonSplitter((v) => exact.push(v), quoteTimeNano).push('{"timeNano":1795442629440526389}');
    expect(exact[0].timeNano).toBe('1795442629440526389');
  });
});

describe('image references', () => {
  it('normalises like distribution/reference', () => {
    expect(canonicalRef('busybox')).toBe('docker.io/library/busybox:latest');
    expect(canonicalRef('user/app:1')).toBe('docker.io/user/app:1');
    expect(canonicalRef('127.0.0.1:5000/x/y')).toBe('127.0.0.1:5000/x/y:latest');
    expect(canonicalRef('localhost/x')).toBe('localhost/x:latest');
    expect(splitForPull('busybox:1.36')).toEqual({ fromImage: 'docker.io/library/busybox', tag: '1.36' });
    expect(parseImageRef(`busybox@sha256:${'a'.repeat(64)}`).digest).toBe(`sha256:${'a'.repeat(64)}`);
    expect(() => parseImageRef('Busybox')).toThrow(/must be lowercase/);
    expect(() => parseImageRef('a b')).toThrow(/invalid reference format/);
  });
});

describe('container config from run flags', () => {
  const parse = (argv: string[]) => parseFlags(argv, CREATE_FLAGS, { command: 'run', interspersed: false });
  it('builds the create body docker sends', () => {
    const p = parse(['-i', '-t', '-e', 'A=1', '-w', '/tmp', '-u', '1:2', '--name', 'c', '-p', '127.0.0.1:8080:80', '-v', '/h:/c:ro', '-v', 'vol:/data', '--memory', '64m', '--cpus', '0.5', '--pids-limit', '10', '--restart', 'on-failure:3', '--entrypoint', 'sh', '--add-host', 'a:1.2.3.4', '--cap-add', 'NET_ADMIN', '--read-only', '--label', 'k=v', 'busybox', '-c', 'true']);
    const { name, body } = buildCreateBody(p.flags, p.args[0], p.args.slice(1));
    expect(name).toBe('c');
    expect(body).toMatchObject({
      Image: 'busybox',
      Cmd: ['-c', 'true'],
      Entrypoint: ['sh'],
      Env: ['A=1'],
      WorkingDir: '/tmp',
      User: '1:2',
      Tty: true,
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      ExposedPorts: { '80/tcp': {} },
      Labels: { k: 'v' },
      HostConfig: {
        Binds: ['/h:/c:ro', 'vol:/data'],
        PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] },
        Memory: 64 * 1024 * 1024,
        NanoCpus: 500_000_000,
        PidsLimit: 10,
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
        ExtraHosts: ['a:1.2.3.4'],
        CapAdd: ['CAP_NET_ADMIN'],
        ReadonlyRootfs: true,
      },
    });
  });
  it('rejects bad values naming the flag (exit 125)', () => {
    const bad = (argv: string[], msg: RegExp) => expect(() => buildCreateBody(parse(argv).flags, 'busybox', [])).toThrow(msg);
    bad(['--cpus', 'x'], /--cpus/);
    bad(['--memory', 'lots'], /--memory/);
    bad(['--restart', 'sometimes'], /invalid restart policy/);
    bad(['--rm', '--restart', 'always'], /Conflicting options: --restart and --rm/);
    bad(['-w', 'rel'], /needs to be an absolute path/);
    bad(['-p', '80:90:100:1'], /invalid/);
    bad(['--add-host', 'nocolon'], /add-host/);
  });
  it('ports, volumes and env files', () => {
    expect(parsePublish('8000-8001:80-81/udp')).toEqual([
      { key: '80/udp', bindings: [{ HostIp: '', HostPort: '8000' }] },
      { key: '81/udp', bindings: [{ HostIp: '', HostPort: '8001' }] },
    ]);
    expect(parsePublish('80')).toEqual([{ key: '80/tcp', bindings: [{ HostIp: '', HostPort: '' }] }]);
    expect(parseVolume('/data')).toEqual({ anonymous: '/data' });
    expect(() => parseVolume('a:b')).toThrow(/must be absolute/);
    const f = path.join(os.tmpdir(), `strata-env-${process.pid}`);
    fs.writeFileSync(f, '# comment\nX=1\n\nFROM_HOST\n');
    try {
      expect(parseEnv(['Y=2', 'UNSET_ONE'], [f], { FROM_HOST: 'h' })).toEqual(['X=1', 'FROM_HOST=h', 'Y=2']);
    } finally {
      fs.rmSync(f);
    }
    expect(() => parseEnv([], ['/nonexistent/env'])).toThrow(/no such file/);
  });
});

describe('list rows', () => {
  it('ps rows: short id, quoted truncated command, names without /, ports', () => {
    const r = containerRow({ Id: 'e85aa40b87633a5605cbdc4d57ff9f75', Names: ['/c1'], Image: 'busybox', Command: 'sh -c "sleep 1000; echo done"', Created: 100, Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }, { PrivatePort: 443, Type: 'tcp' }], State: 'running', Status: 'Up 2 seconds', Labels: { a: 'b' } }, { trunc: true, now: 102_000 });
    expect(r).toMatchObject({ ID: 'e85aa40b8763', Names: 'c1', Command: '"sh -c \\"sleep 1000; …"', RunningFor: '2 seconds ago', Ports: '443/tcp, 0.0.0.0:8080->80/tcp', Labels: 'a=b' });
    expect(r.Label('a')).toBe('b');
    expect(ellipsis('abc', 3)).toBe('abc');
    expect(displayPorts([{ IP: '::', PrivatePort: 80, PublicPort: 81, Type: 'tcp' }])).toBe('[::]:81->80/tcp');
  });
  it('images rows: one per tag, <none> for untagged, sorted by creation', () => {
    const rows = imageRows([{ Id: 'sha256:32f007356bf4ee99', RepoTags: ['busybox:latest', 'bb:1'], Created: 946684800, Size: 1982000 }, { Id: 'sha256:aaaabbbbccccdddd', RepoTags: [], Created: 946684900, Size: 10 }], { trunc: true, now: Date.parse('2026-11-23T00:00:00Z') });
    expect(rows.map((r) => `${r.Repository}:${r.Tag} ${r.ID} ${r.Size} ${r.CreatedSince}`)).toEqual(['<none>:<none> aaaabbbbcccc 10B 26 years ago', 'busybox:latest 32f007356bf4 1.98MB 26 years ago', 'bb:1 32f007356bf4 1.98MB 26 years ago']);
  });
  it('event lines and stats rows', () => {
    expect(eventLine({ Type: 'container', Action: 'start', Actor: { ID: 'abc', Attributes: { name: 'c1', image: 'busybox' } }, timeNano: '1795442629440526389' })).toBe('2026-11-23T14:03:49.440526389Z container start abc (image=busybox, name=c1)');
    const s = statsRow({ id: 'a'.repeat(64), name: '/c1', cpu_stats: { cpu_usage: { total_usage: 300 }, system_cpu_usage: 2000, online_cpus: 2 }, precpu_stats: { cpu_usage: { total_usage: 100 }, system_cpu_usage: 1000 }, memory_stats: { usage: 2 * 1048576, limit: 8 * 1048576, stats: { total_inactive_file: 1048576 } }, networks: { eth0: { rx_bytes: 1000, tx_bytes: 2000 } }, pids_stats: { current: 3 } }, { container: 'c1', trunc: true });
    expect(s).toMatchObject({ ID: 'aaaaaaaaaaaa', Name: 'c1', CPUPerc: '40.00%', MemUsage: '1MiB / 8MiB', MemPerc: '12.50%', NetIO: '1kB / 2kB', BlockIO: '0B / 0B', PIDs: '3' });
  });
});

describe('misc', () => {
  it('hosts, versions, exit codes for runtime errors, cp arguments', () => {
    expect(parseHost('unix:///run/x.sock')).toMatchObject({ socketPath: '/run/x.sock' });
    expect(parseHost('tcp://127.0.0.1:2375')).toMatchObject({ host: '127.0.0.1', port: 2375 });
    expect(() => parseHost('ftp://x')).toThrow(/unable to parse docker host/);
    expect(compareVersions('1.41', '1.50')).toBeLessThan(0);
    expect(compareVersions('1.9', '1.10')).toBeLessThan(0);
    expect(runtimeExitCode('exec: "nosuch": executable file not found in $PATH: unknown')).toBe(127);
    expect(runtimeExitCode('exec: "/etc": permission denied: unknown')).toBe(126);
    expect(runtimeExitCode('something else')).toBe(125);
    expect(splitCpArg('c1:/etc/hosts')).toEqual({ container: 'c1', path: '/etc/hosts' });
    expect(splitCpArg('./a:b')).toEqual({ path: './a:b' });
    expect(splitCpArg('-')).toEqual({ path: '-' });
  });
});

describe('.dockerignore', () => {
  it('globs, ** and exceptions, later rules win', () => {
    const r = parseDockerignore('# c\n*.log\n!keep.log\nnode_modules\n**/tmp\n/build/\n');
    expect(isExcluded('a.log', r)).toBe(true);
    expect(isExcluded('keep.log', r)).toBe(false);
    expect(isExcluded('dir/a.log', r)).toBe(false);
    expect(isExcluded('node_modules/x/y', r)).toBe(true);
    expect(isExcluded('a/b/tmp', r)).toBe(true);
    expect(isExcluded('build/out', r)).toBe(true);
    expect(isExcluded('src/index.ts', r)).toBe(false);
  });
});

describe('tar', () => {
  it('round-trips files, dirs, symlinks and long names; refuses escapes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `strata-tar-${process.pid}-`));
    try {
      const src = path.join(dir, 'src');
      const long = 'd'.repeat(120);
      fs.mkdirSync(path.join(src, 'sub', long), { recursive: true });
      fs.writeFileSync(path.join(src, 'sub', long, 'f.txt'), 'hello');
      fs.writeFileSync(path.join(src, 'x.sh'), '#!/bin/sh\n', { mode: 0o755 });
      fs.symlinkSync('x.sh', path.join(src, 'link'));
      const w = new TarWriter();
      w.addPath(src, 'top');
      const entries = readTar(w.finish());
      expect(entries.map((e) => `${e.type} ${e.name}`)).toEqual(['dir top', 'symlink top/link', 'dir top/sub', `dir top/sub/${long}`, `file top/sub/${long}/f.txt`, 'file top/x.sh']);
      const out = path.join(dir, 'out');
      extractTar(entries, out, (n) => n.replace(/^top/, 'renamed'));
      expect(fs.readFileSync(path.join(out, 'renamed', 'sub', long, 'f.txt'), 'utf8')).toBe('hello');
      expect(fs.statSync(path.join(out, 'renamed', 'x.sh')).mode & 0o777).toBe(0o755);
      expect(fs.readlinkSync(path.join(out, 'renamed', 'link'))).toBe('x.sh');
      const evil = new TarWriter();
      evil.add('../escape', { type: 'file', mode: 0o644, data: Buffer.from('x') });
      expect(() => extractTar(readTar(evil.finish()), out)).toThrow(/outside/);
      const sym = new TarWriter();
      sym.add('l', { type: 'symlink', mode: 0o777, linkname: '/tmp' });
      sym.add('l/owned', { type: 'file', mode: 0o644, data: Buffer.from('x') });
      expect(() => extractTar(readTar(sym.finish()), path.join(dir, 'out2'))).toThrow(/through the symlink/);
      expect(fs.existsSync('/tmp/owned')).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
