// `exec -t --console-socket PATH` (what a shim does for `ctr task exec -t`, `docker exec -it`, the
// CRI's exec with a tty): the runtime must connect to the caller's socket *before* it joins the
// container's mount namespace, where that path does not exist, and send the pty master over it.
// (It connected after setns(mount) before: exec with a terminal failed through Strata's shim.)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseConfig, built, isRoot, leaks, sandbox, uniqueId } from './helpers';

describe.skipIf(!isRoot || !built)('exec with a terminal and a console socket', () => {
  const sb = sandbox();
  afterAll(() => sb.cleanup());

  it('sends the exec pty master to a socket outside the container', async () => {
    const id = uniqueId('execpty');
    const bundle = sb.bundle(baseConfig(['sleep', '100']));
    expect(sb.rt(['run', '-d', '-b', bundle, id]).status).toBe(0);
    const sock = path.join(sb.dir, 'console.sock');
    // The receiver: a unix socket outside the container; it prints how many fds arrived.
    const receiver = spawn('python3', ['-c', `import socket\ns=socket.socket(socket.AF_UNIX,socket.SOCK_STREAM)\ns.bind(${JSON.stringify(sock)})\ns.listen(1)\ns.settimeout(20)\nc,_=s.accept()\nmsg,fds,flags,addr=socket.recv_fds(c,1024,4)\nprint(len(fds))`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    receiver.stdout.on('data', (d) => (out += d));
    const closed = new Promise((r) => receiver.on('close', r));
    for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    const proc = path.join(sb.dir, 'process.json');
    fs.writeFileSync(proc, JSON.stringify({ terminal: true, args: ['sh', '-c', 'sleep 1'], cwd: '/', env: ['PATH=/bin'], user: { uid: 0, gid: 0 } }));
    const r = sb.rt(['exec', '-d', '--console-socket', sock, '-p', proc, id]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    await closed;
    expect(out.trim()).toBe('1');
    expect(sb.rt(['delete', '--force', id]).status).toBe(0);
    expect(leaks(id)).toEqual([]);
  }, 60_000);
});
