// config.md#process `terminal` and `consoleSize`: the process gets a pseudo-terminal as its
// controlling terminal and stdio. How the terminal reaches the caller is runc's convention (not
// the spec's): `create --console-socket PATH` sends the pty master over that AF_UNIX socket with
// SCM_RIGHTS. We listen on such a socket, take the master, and read what the container printed.
import fs from 'node:fs';
import path from 'node:path';
import { listenUnix, acceptFd, recvFds, setFdFlags, close } from '@strata/linux';
import { defineTests, specUrl } from '../framework/testCase';
import { expectEqual, expectMatch, fail } from '../framework/assert';
import type { TestContext } from '../framework/context';

/** Create with a console socket, start, and return what the process wrote to its terminal. */
async function runOnTerminal(ctx: TestContext, script: string, size?: { height: number; width: number }): Promise<string> {
  const config = ctx.config(script);
  config.process!.terminal = true;
  if (size) config.process!.consoleSize = size;
  const bundle = ctx.bundle(config);
  const sock = path.join(bundle, 'console.sock');
  const listener = listenUnix(sock);
  ctx.defer(() => close(listener));
  const id = ctx.newId('tty');
  const created = await ctx.runtime.exec(['create', '--bundle', bundle, '--console-socket', sock, id]);
  if (!created.ok) fail(`create --console-socket failed (exit ${created.code}): ${created.stderr.slice(0, 300)}`);
  // The init connected and sent the master while `create` ran; the connection waits in the backlog.
  const conn = acceptFd(listener);
  const got = recvFds(conn);
  close(conn);
  if (!got || got.fds.length !== 1) fail('no pty master arrived on the console socket');
  const master = got!.fds[0];
  ctx.defer(() => close(master));
  setFdFlags(master, { nonblock: true });
  await ctx.mustStart(id);
  let out = '';
  const buf = Buffer.alloc(4096);
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    try {
      const n = fs.readSync(master, buf, 0, buf.length, null);
      if (n === 0) break;
      out += buf.toString('utf8', 0, n);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EIO') break; // the last slave fd closed: the process is gone
      if (code !== 'EAGAIN') throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  await ctx.mustReachStatus(id, ['stopped']);
  await ctx.runtime.delete(id);
  return out.replace(/\r/g, '');
}

export const terminalTests = defineTests([
  {
    id: 'process.terminal',
    title: 'terminal: true gives the process a pty as stdio and controlling terminal',
    section: specUrl('config', 'process'),
    level: 'MUST',
    async run(ctx) {
      const out = await runOnTerminal(ctx, 'tty; [ -t 0 ] && [ -t 1 ] && echo stdio-is-a-tty; ps -o pid,tty 2>/dev/null | tail -1 || true');
      expectMatch(out, /^\/dev\/pts\/\d+$/m, 'tty(1) inside the container');
      expectMatch(out, /stdio-is-a-tty/, 'stdin and stdout are terminals');
    },
  },
  {
    id: 'process.console-size',
    title: 'consoleSize sets the terminal size',
    section: specUrl('config', 'process'),
    level: 'SHOULD',
    async run(ctx) {
      const out = await runOnTerminal(ctx, 'stty size', { height: 31, width: 97 });
      expectEqual(out.trim(), '31 97', 'stty size (rows cols)');
    },
  },
]);
