// docker run / docker create flags -> the body of POST /containers/create ({...Config,
// HostConfig, NetworkingConfig}), as the docker CLI builds it (cli/command/container/opts.go).
import fs from 'node:fs';
import path from 'node:path';
import { CliError, EXIT_DAEMON } from './errors';
import { type FlagDef, type FlagValues, bool, int, list, str } from './flags';
import { ramInBytes } from './format/units';

export const CREATE_FLAGS: FlagDef[] = [
  { name: 'add-host', kind: 'list', desc: 'Add a custom host-to-IP mapping (host:ip)', valueName: 'list' },
  { name: 'attach', short: 'a', kind: 'list', desc: 'Attach to STDIN, STDOUT or STDERR', valueName: 'list' },
  { name: 'cap-add', kind: 'list', desc: 'Add Linux capabilities', valueName: 'list' },
  { name: 'cap-drop', kind: 'list', desc: 'Drop Linux capabilities', valueName: 'list' },
  { name: 'cpus', kind: 'string', desc: 'Number of CPUs', valueName: 'decimal' },
  { name: 'cpu-shares', short: 'c', kind: 'int', desc: 'CPU shares (relative weight)', valueName: 'int' },
  { name: 'dns', kind: 'list', desc: 'Set custom DNS servers', valueName: 'list' },
  { name: 'dns-search', kind: 'list', desc: 'Set custom DNS search domains', valueName: 'list' },
  { name: 'dns-option', kind: 'list', desc: 'Set DNS options', valueName: 'list' },
  { name: 'entrypoint', kind: 'string', desc: 'Overwrite the default ENTRYPOINT of the image', valueName: 'string' },
  { name: 'env', short: 'e', kind: 'list', desc: 'Set environment variables', valueName: 'list' },
  { name: 'env-file', kind: 'list', desc: 'Read in a file of environment variables', valueName: 'list' },
  { name: 'expose', kind: 'list', desc: 'Expose a port or a range of ports', valueName: 'list' },
  { name: 'hostname', short: 'h', kind: 'string', desc: 'Container host name', valueName: 'string' },
  { name: 'init', kind: 'bool', desc: 'Run an init inside the container that forwards signals and reaps processes' },
  { name: 'interactive', short: 'i', kind: 'bool', desc: 'Keep STDIN open even if not attached' },
  { name: 'label', short: 'l', kind: 'list', desc: 'Set meta data on a container', valueName: 'list' },
  { name: 'memory', short: 'm', kind: 'string', desc: 'Memory limit', valueName: 'bytes' },
  { name: 'memory-swap', kind: 'string', desc: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", valueName: 'bytes' },
  { name: 'mount', kind: 'list', desc: 'Attach a filesystem mount to the container', valueName: 'mount' },
  { name: 'name', kind: 'string', desc: 'Assign a name to the container', valueName: 'string' },
  { name: 'network', kind: 'string', desc: 'Connect a container to a network', valueName: 'network' },
  { name: 'network-alias', kind: 'list', desc: 'Add network-scoped alias for the container', valueName: 'list' },
  { name: 'pids-limit', kind: 'int', desc: 'Tune container pids limit (set -1 for unlimited)', valueName: 'int' },
  { name: 'privileged', kind: 'bool', desc: 'Give extended privileges to this container' },
  { name: 'publish', short: 'p', kind: 'list', desc: "Publish a container's port(s) to the host", valueName: 'list' },
  { name: 'publish-all', short: 'P', kind: 'bool', desc: 'Publish all exposed ports to random ports' },
  { name: 'pull', kind: 'string', desc: 'Pull image before creating ("always", "missing", "never")', def: 'missing', valueName: 'string' },
  { name: 'read-only', kind: 'bool', desc: "Mount the container's root filesystem as read only" },
  { name: 'restart', kind: 'string', desc: 'Restart policy to apply when a container exits', def: 'no', valueName: 'string' },
  { name: 'rm', kind: 'bool', desc: 'Automatically remove the container and its associated anonymous volumes when it exits' },
  { name: 'runtime', kind: 'string', desc: 'Runtime to use for this container', valueName: 'string' },
  { name: 'security-opt', kind: 'list', desc: 'Security Options', valueName: 'list' },
  { name: 'shm-size', kind: 'string', desc: 'Size of /dev/shm', valueName: 'bytes' },
  { name: 'stop-signal', kind: 'string', desc: 'Signal to stop the container', valueName: 'string' },
  { name: 'stop-timeout', kind: 'int', desc: 'Timeout (in seconds) to stop a container', valueName: 'int' },
  { name: 'sysctl', kind: 'list', desc: 'Sysctl options', valueName: 'map' },
  { name: 'tmpfs', kind: 'list', desc: 'Mount a tmpfs directory', valueName: 'list' },
  { name: 'tty', short: 't', kind: 'bool', desc: 'Allocate a pseudo-TTY' },
  { name: 'ulimit', kind: 'list', desc: 'Ulimit options', valueName: 'ulimit' },
  { name: 'user', short: 'u', kind: 'string', desc: 'Username or UID (format: <name|uid>[:<group|gid>])', valueName: 'string' },
  { name: 'volume', short: 'v', kind: 'list', desc: 'Bind mount a volume', valueName: 'list' },
  { name: 'workdir', short: 'w', kind: 'string', desc: 'Working directory inside the container', valueName: 'string' },
];

const invalid = (msg: string) => new CliError(msg, EXIT_DAEMON);

/** KEY=VALUE, or KEY alone to take the value from this process's environment (skipped if unset). */
export function parseEnv(values: string[], files: string[], env = process.env): string[] {
  const out: string[] = [];
  const add = (line: string) => {
    if (!line || line.startsWith('#')) return;
    const i = line.indexOf('=');
    if (i === 0) throw invalid(`invalid environment variable: ${line}`);
    if (i > 0) out.push(line);
    else if (env[line] !== undefined) out.push(`${line}=${env[line]}`);
  };
  for (const f of files) {
    let text: string;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch (e) {
      throw invalid(`open ${f}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
    }
    for (const raw of text.split(/\r?\n/)) add(raw.replace(/^\s+/, ''));
  }
  for (const v of values) add(v);
  return out;
}

export interface PortSpec {
  /** "80/tcp" */
  key: string;
  bindings: { HostIp: string; HostPort: string }[];
}

/** -p [ip:][hostPort:]containerPort[/proto], with ranges "8000-8001:80-81". */
export function parsePublish(spec: string): PortSpec[] {
  let proto = 'tcp';
  let rest = spec;
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    proto = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw invalid(`invalid proto: ${proto}`);
  let ip = '';
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(.*)$/.exec(rest);
  if (v6) {
    ip = v6[1];
    rest = v6[2];
  }
  const parts = rest.split(':');
  if (!v6 && parts.length === 3) ip = parts.shift()!;
  if (parts.length > 2) throw invalid(`invalid port format: ${spec}`);
  const containerPart = parts.pop()!;
  const hostPart = parts.pop() ?? '';
  const range = (s: string): [number, number] => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(s);
    if (!m) throw invalid(`invalid containerPort: ${s}`);
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    if (a < 1 || b > 65535 || b < a) throw invalid(`invalid port range: ${s}`);
    return [a, b];
  };
  if (ip && !/^[0-9.]+$|:/.test(ip)) throw invalid(`invalid IP address: ${ip}`);
  const [c0, c1] = range(containerPart);
  const hostRange = hostPart ? range(hostPart) : undefined;
  if (hostRange && hostRange[1] - hostRange[0] !== c1 - c0 && hostRange[0] !== hostRange[1]) throw invalid(`invalid ranges specified for container and host Ports: ${containerPart} and ${hostPart}`);
  const out: PortSpec[] = [];
  for (let p = c0; p <= c1; p++) {
    const hostPort = !hostRange ? '' : hostRange[0] === hostRange[1] ? String(hostRange[0]) : String(hostRange[0] + (p - c0));
    out.push({ key: `${p}/${proto}`, bindings: [{ HostIp: ip, HostPort: hostPort }] });
  }
  return out;
}

/** --mount type=bind,source=/a,target=/b,readonly / type=volume,... / type=tmpfs,... */
export function parseMount(spec: string): Record<string, unknown> {
  const m: Record<string, any> = { Type: 'volume' };
  for (const kv of spec.split(',')) {
    const i = kv.indexOf('=');
    const k = (i < 0 ? kv : kv.slice(0, i)).trim().toLowerCase();
    const v = i < 0 ? undefined : kv.slice(i + 1);
    switch (k) {
      case 'type':
        if (!['bind', 'volume', 'tmpfs'].includes(v ?? '')) throw invalid(`invalid argument "${spec}" for "--mount" flag: invalid mount type: ${v}`);
        m.Type = v;
        break;
      case 'source':
      case 'src':
        m.Source = v;
        break;
      case 'target':
      case 'destination':
      case 'dst':
        m.Target = v;
        break;
      case 'readonly':
      case 'ro':
        m.ReadOnly = v === undefined || v === 'true' || v === '1';
        break;
      case 'bind-propagation':
        m.BindOptions = { ...m.BindOptions, Propagation: v };
        break;
      case 'volume-nocopy':
        m.VolumeOptions = { ...m.VolumeOptions, NoCopy: v === undefined || v === 'true' };
        break;
      case 'tmpfs-size':
        m.TmpfsOptions = { ...m.TmpfsOptions, SizeBytes: ramInBytes(v ?? '') };
        break;
      case 'tmpfs-mode':
        m.TmpfsOptions = { ...m.TmpfsOptions, Mode: parseInt(v ?? '', 8) };
        break;
      default:
        throw invalid(`invalid argument "${spec}" for "--mount" flag: unexpected key '${k}' in '${kv}'`);
    }
  }
  if (!m.Target) throw invalid(`invalid argument "${spec}" for "--mount" flag: target is required`);
  if (m.Type === 'bind' && m.Source) m.Source = path.resolve(m.Source);
  return m;
}

/** -v: absolute sources (and ./relative, which docker resolves) are binds, anything else a named volume. */
export function parseVolume(spec: string): { bind?: string; anonymous?: string } {
  const parts = spec.split(':');
  if (parts.length === 1) {
    if (!parts[0].startsWith('/')) throw invalid(`invalid volume specification: '${spec}'`);
    return { anonymous: parts[0] };
  }
  if (parts.length > 3) throw invalid(`invalid volume specification: '${spec}'`);
  let [src, dst, mode] = parts;
  if (!dst.startsWith('/')) throw invalid(`invalid volume specification: '${spec}': invalid mount config for type "bind": invalid mount path: '${dst}' mount path must be absolute`);
  if (src.startsWith('.') || src.startsWith('~')) src = path.resolve(src);
  if (mode && !/^(ro|rw|z|Z|nocopy|shared|rshared|slave|rslave|private|rprivate)(,(ro|rw|z|Z|nocopy|shared|rshared|slave|rslave|private|rprivate))*$/.test(mode)) throw invalid(`invalid mode: ${mode}`);
  return { bind: [src, dst, mode].filter(Boolean).join(':') };
}

export function parseRestart(v: string): { Name: string; MaximumRetryCount: number } {
  const [name, count] = v.split(':');
  if (!['no', 'always', 'on-failure', 'unless-stopped', ''].includes(name)) throw invalid(`invalid restart policy: ${name}`);
  if (count !== undefined && name !== 'on-failure') throw invalid(`invalid restart policy format: maximum retry count can only be used with 'on-failure'`);
  if (count !== undefined && !/^\d+$/.test(count)) throw invalid(`invalid restart policy format: maximum retry count must be an integer`);
  return { Name: name === 'no' ? 'no' : name, MaximumRetryCount: count ? Number(count) : 0 };
}

/** docker 28 sends capabilities upper-cased with the CAP_ prefix ("net_admin" -> "CAP_NET_ADMIN"; ALL stays). */
export const normalizeCaps = (caps: string[]): string[] => [...new Set(caps.map((c) => c.trim().toUpperCase()).map((c) => (c === 'ALL' || c.startsWith('CAP_') ? c : `CAP_${c}`)))];

/** The create body for run/create: --entrypoint is one word (an empty string resets it), as in docker. */
export function buildCreateBody(f: FlagValues, image: string, cmd: string[], o: { stdinIsTty?: boolean; consoleSize?: [number, number] } = {}): { name?: string; body: any } {
  const tty = bool(f, 'tty');
  const interactive = bool(f, 'interactive');
  const attach = list(f, 'attach').map((s) => s.toLowerCase());
  for (const a of attach) if (!['stdin', 'stdout', 'stderr'].includes(a)) throw invalid(`invalid argument "${a}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`);
  const detach = bool(f, 'detach');
  const attachStdin = attach.length ? attach.includes('stdin') : interactive && !detach;
  const attachStdout = attach.length ? attach.includes('stdout') : !detach;
  const attachStderr = attach.length ? attach.includes('stderr') : !detach;

  const exposed: Record<string, object> = {};
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of list(f, 'publish')) {
    for (const s of parsePublish(p)) {
      exposed[s.key] = {};
      (portBindings[s.key] ??= []).push(...s.bindings);
    }
  }
  for (const e of list(f, 'expose')) {
    const [port, proto = 'tcp'] = e.split('/');
    const m = /^(\d+)(?:-(\d+))?$/.exec(port);
    if (!m) throw invalid(`invalid range format for --expose: ${e}`);
    for (let p = Number(m[1]); p <= Number(m[2] ?? m[1]); p++) exposed[`${p}/${proto}`] = {};
  }

  const binds: string[] = [];
  const volumes: Record<string, object> = {};
  for (const v of list(f, 'volume')) {
    const r = parseVolume(v);
    if (r.bind) binds.push(r.bind);
    if (r.anonymous) volumes[r.anonymous] = {};
  }
  const tmpfs: Record<string, string> = {};
  for (const t of list(f, 'tmpfs')) {
    const i = t.indexOf(':');
    tmpfs[i < 0 ? t : t.slice(0, i)] = i < 0 ? '' : t.slice(i + 1);
  }
  const labels: Record<string, string> = {};
  for (const l of list(f, 'label')) {
    const i = l.indexOf('=');
    labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
  }
  const sysctls: Record<string, string> = {};
  for (const s of list(f, 'sysctl')) {
    const i = s.indexOf('=');
    if (i <= 0) throw invalid(`invalid argument "${s}" for "--sysctl" flag: ${s} is not a valid sysctl`);
    sysctls[s.slice(0, i)] = s.slice(i + 1);
  }
  for (const h of list(f, 'add-host')) {
    if (!/^[^:]+:.+$/.test(h)) throw invalid(`invalid argument "${h}" for "--add-host" flag: bad format for add-host: "${h}"`);
  }
  const ulimits = list(f, 'ulimit').map((u) => {
    const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(u);
    if (!m) throw invalid(`invalid argument "${u}" for "--ulimit" flag: invalid ulimit argument: ${u}`);
    return { Name: m[1], Soft: Number(m[2]), Hard: Number(m[3] ?? m[2]) };
  });

  let nanoCpus: number | undefined;
  const cpus = str(f, 'cpus');
  if (cpus !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(cpus)) throw invalid(`invalid argument "${cpus}" for "--cpus" flag: failed to parse ${cpus} as a rational number`);
    nanoCpus = Math.round(Number(cpus) * 1e9);
  }
  const bytes = (k: string) => {
    const v = str(f, k);
    if (v === undefined) return undefined;
    if (v === '-1') return -1;
    try {
      return ramInBytes(v);
    } catch {
      throw invalid(`invalid argument "${v}" for "--${k}" flag: invalid size: '${v}'`);
    }
  };
  const network = str(f, 'network');
  const restart = str(f, 'restart');
  const restartPolicy = restart ? parseRestart(restart) : undefined;
  if (restartPolicy && restartPolicy.Name !== 'no' && bool(f, 'rm')) throw invalid('Conflicting options: --restart and --rm');
  const stopTimeout = int(f, 'stop-timeout');
  const entrypoint = str(f, 'entrypoint');
  const hostname = str(f, 'hostname');
  if (hostname !== undefined && !/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(hostname)) throw invalid(`invalid hostname format: ${hostname}`);

  const hostConfig: Record<string, unknown> = {
    Binds: binds.length ? binds : undefined,
    NetworkMode: network ?? 'default',
    PortBindings: Object.keys(portBindings).length ? portBindings : {},
    RestartPolicy: restartPolicy ?? { Name: 'no', MaximumRetryCount: 0 },
    AutoRemove: bool(f, 'rm'),
    CapAdd: list(f, 'cap-add').length ? normalizeCaps(list(f, 'cap-add')) : undefined,
    CapDrop: list(f, 'cap-drop').length ? normalizeCaps(list(f, 'cap-drop')) : undefined,
    Dns: list(f, 'dns'),
    DnsOptions: list(f, 'dns-option'),
    DnsSearch: list(f, 'dns-search'),
    ExtraHosts: list(f, 'add-host').length ? list(f, 'add-host') : undefined,
    Privileged: bool(f, 'privileged'),
    PublishAllPorts: bool(f, 'publish-all'),
    ReadonlyRootfs: bool(f, 'read-only'),
    SecurityOpt: list(f, 'security-opt').length ? list(f, 'security-opt') : undefined,
    Tmpfs: Object.keys(tmpfs).length ? tmpfs : undefined,
    Sysctls: Object.keys(sysctls).length ? sysctls : undefined,
    Runtime: str(f, 'runtime'),
    ShmSize: bytes('shm-size'),
    Init: f.init === undefined ? undefined : bool(f, 'init'),
    Mounts: list(f, 'mount').length ? list(f, 'mount').map(parseMount) : undefined,
    Memory: bytes('memory') ?? 0,
    MemorySwap: bytes('memory-swap') ?? 0,
    NanoCpus: nanoCpus ?? 0,
    CpuShares: int(f, 'cpu-shares') ?? 0,
    PidsLimit: int(f, 'pids-limit'),
    Ulimits: ulimits.length ? ulimits : undefined,
    ConsoleSize: o.consoleSize ?? [0, 0],
  };
  const aliases = list(f, 'network-alias');
  const body: Record<string, unknown> = {
    Hostname: hostname ?? '',
    User: str(f, 'user') ?? '',
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
    Tty: tty,
    OpenStdin: interactive,
    StdinOnce: interactive && attachStdin,
    Env: parseEnv(list(f, 'env'), list(f, 'env-file')),
    Cmd: cmd.length ? cmd : null,
    Image: image,
    Volumes: Object.keys(volumes).length ? volumes : undefined,
    WorkingDir: str(f, 'workdir') ?? '',
    Entrypoint: entrypoint === undefined ? null : entrypoint === '' ? [''] : [entrypoint],
    Labels: labels,
    StopSignal: str(f, 'stop-signal'),
    StopTimeout: stopTimeout,
    HostConfig: hostConfig,
    NetworkingConfig: {
      EndpointsConfig: network && !['default', 'bridge', 'host', 'none'].includes(network) ? { [network]: { Aliases: aliases.length ? aliases : undefined } } : {},
    },
  };
  if (str(f, 'workdir') !== undefined && !str(f, 'workdir')!.startsWith('/')) throw invalid(`the working directory '${str(f, 'workdir')}' is invalid, it needs to be an absolute path`);
  const json = JSON.parse(JSON.stringify(body));
  return { name: str(f, 'name'), body: json };
}
