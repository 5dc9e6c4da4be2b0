// PortForward: a TCP connection to 127.0.0.1:<port> *inside the pod's network namespace*, piped
// to the client's stream. A process cannot switch the network namespace of one thread in Node,
// so a small helper runs there (nsenter --net=<pod netns> node -e ...), copying its stdio to the
// port with half-close in both directions — what the kubelet's docker shim did with socat.
import { spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { CriError } from './errors';

const HELPER = `
const s = require('node:net').connect(Number(process.argv[1]), '127.0.0.1');
s.on('connect', () => { process.stdin.pipe(s); s.pipe(process.stdout); });
s.on('error', (e) => { process.stderr.write(e.message); process.exit(1); });
s.on('close', () => process.exit(0));
`;

export function portForwardIn(netns: string | undefined, port: number, conn: Duplex): Promise<void> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return Promise.reject(new CriError('INVALID_ARGUMENT', `port: must be 1-65535 (got ${port})`));
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  const argv = [process.execPath, '-e', HELPER, String(port)];
  const child = netns ? spawn('nsenter', [`--net=${netns}`, '--', ...argv], { stdio: ['pipe', 'pipe', 'pipe'], env }) : spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  conn.pipe(child.stdin!);
  child.stdout!.pipe(conn);
  child.stdin!.on('error', () => {});
  conn.on('error', () => child.kill('SIGKILL'));
  conn.on('close', () => child.kill('SIGTERM'));
  return new Promise((resolve, reject) => {
    child.on('error', (e) => reject(new CriError('INTERNAL', `port-forward to ${port}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0 || code === null) resolve();
      else reject(new CriError('INTERNAL', `port-forward to 127.0.0.1:${port} in the pod: ${err.trim() || `helper exited ${code}`}`));
    });
  });
}
