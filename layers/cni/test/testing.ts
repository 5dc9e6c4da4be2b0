// Test helpers for networking tests (exported as @strata/cni/testing): what a leak check looks at
// after a test, and small clients that talk to servers inside network namespaces.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { spawnInNetns } from '../src/netns';

export const isRoot = process.getuid?.() === 0;
export const CNI_BIN = '/usr/lib/cni';
export const havePlugins = ['bridge', 'host-local', 'loopback', 'portmap'].every((p) => existsSync(`${CNI_BIN}/${p}`));
export const haveTools = ['ip', 'nsenter', 'iptables-save', 'busybox'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);

/** Lines of `iptables-save` (all tables) that mention `needle` (a container id, a chain hash...). */
export function iptablesLines(needle: string): string[] {
  const out = execFileSync('iptables-save', { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(needle));
}

/** Host-side interfaces enslaved to a bridge (the veth peers of attached containers). */
export function bridgePorts(bridge: string): string[] {
  const dir = `/sys/class/net/${bridge}/brif`;
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** IPs host-local has reserved in dataDir/<network> (one file per IP; lock and last_reserved_ip.* are bookkeeping). */
export function reservedIps(dataDir: string, network: string): string[] {
  const dir = `${dataDir}/${network}`;
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^[0-9.]+$/.test(f)) : [];
}

export const linkExists = (name: string) => existsSync(`/sys/class/net/${name}`);

/** Names in /run/netns starting with `prefix`. */
export function netnsNamed(prefix: string): string[] {
  return existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith(prefix)) : [];
}

/**
 * A TCP server inside the netns answering every connection with `reply`, or with the peer's
 * address when reply is null (to see whether traffic was masqueraded). Resolves once it listens.
 */
export async function serveInNetns(netns: string, port: number, reply: string | null): Promise<{ stop(): Promise<void> }> {
  const answer = reply === null ? 's.remoteAddress.replace(/^::ffff:/,"")' : JSON.stringify(reply);
  const code = `require('net').createServer(s=>s.end(${answer})).listen(${port},'0.0.0.0',()=>console.log('listening'))`;
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS; // ~30 ms per node start here, and not needed
  const child = spawnInNetns(netns, [process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'pipe'], env });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server in netns did not start within 10 s')), 10_000);
    child.stdout!.on('data', () => {
      clearTimeout(timer);
      resolve();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server in netns exited with ${code}`));
    });
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/** Connects from this process (the host netns) and returns what the server sent; rejects after timeoutMs. */
export function fetchTcp(host: string, port: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    const chunks: Buffer[] = [];
    sock.setTimeout(timeoutMs, () => {
      sock.destroy();
      reject(new Error(`timeout talking to ${host}:${port}`));
    });
    sock.on('data', (b) => chunks.push(b));
    sock.on('error', reject);
    sock.on('end', () => resolve(Buffer.concat(chunks).toString()));
  });
}

/** The same from inside a netns: a node client run with nsenter. */
export async function fetchTcpFromNetns(netns: string, host: string, port: number): Promise<string> {
  const code = `const s=require('net').connect(${port},${JSON.stringify(host)});s.setTimeout(4000,()=>{console.error('timeout');process.exit(2)});s.on('error',e=>{console.error(e.message);process.exit(1)});s.pipe(process.stdout)`;
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const r = spawnSync('nsenter', [`--net=${netns}`, '--', process.execPath, '-e', code], { encoding: 'utf8', timeout: 10_000, env });
  if (r.status !== 0) throw new Error(`connect ${host}:${port} from ${netns}: ${r.stderr || r.error?.message || r.status}`);
  return r.stdout;
}

/** busybox ping from inside a netns: true when one echo reply came back within a second. */
export function pingFrom(netns: string, ip: string): boolean {
  return spawnSync('nsenter', [`--net=${netns}`, '--', 'busybox', 'ping', '-c', '1', '-W', '1', ip], { timeout: 5000 }).status === 0;
}

/**
 * The per-container nat chains the plugins create: the bridge plugin's masquerade chain
 * CNI-<24 hex> and portmap's DNAT chain CNI-DN-<21 hex>, both from sha512(network + containerId)
 * (the plugins' utils.FormatChainName). Returns those of them that still exist.
 */
export function leftoverChains(network: string, containerId: string): string[] {
  const hash = createHash('sha512').update(network + containerId).digest('hex');
  return [`CNI-${hash.slice(0, 24)}`, `CNI-DN-${hash.slice(0, 21)}`].filter((c) => spawnSync('iptables', ['-w', '-t', 'nat', '-S', c], { stdio: 'ignore' }).status === 0);
}
