// Pseudo-terminals (pty(7)): openpty(3) and the window size ioctls.
import { fn, check, koffi } from './libc';

const TIOCGWINSZ = 0x5413;
const TIOCSWINSZ = 0x5414;

/** openpty(3): a master/slave pair. */
export function openpty(): { master: number; slave: number; slaveName: string } {
  const m = [0];
  const s = [0];
  const name = Buffer.alloc(128);
  const openptyFn = koffi().load('libc.so.6').func('int openpty(_Out_ int *amaster, _Out_ int *aslave, char *name, void *termp, void *winp)');
  check('openpty', openptyFn(m, s, name, null, null));
  return { master: m[0], slave: s[0], slaveName: name.toString('utf8', 0, name.indexOf(0)) };
}

/** TIOCSWINSZ: tell the terminal (and the program on it, via SIGWINCH) its size. */
export function setWinsize(fd: number, rows: number, cols: number): void {
  const ws = Buffer.alloc(8);
  ws.writeUInt16LE(rows, 0);
  ws.writeUInt16LE(cols, 2);
  check('ioctl(TIOCSWINSZ)', fn('int ioctl(int fd, unsigned long req, void *arg)')(fd, TIOCSWINSZ, ws));
}

export function getWinsize(fd: number): { rows: number; cols: number } {
  const ws = Buffer.alloc(8);
  check('ioctl(TIOCGWINSZ)', fn('int ioctl(int fd, unsigned long req, void *arg)')(fd, TIOCGWINSZ, ws));
  return { rows: ws.readUInt16LE(0), cols: ws.readUInt16LE(2) };
}
