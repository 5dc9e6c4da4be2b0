// A terminal for `run`/`exec` in the foreground without --console-socket (runc does the same):
// we make a socketpair, let the init send the pty master over it, and copy bytes between our own
// terminal and the master until the container exits.
import fs from 'node:fs';
import tty from 'node:tty';
import { socketpair, recvFds, setWinsize, setFdFlags, close } from '@strata/linux';
import { RuntimeError } from './errors';

export class ConsoleRelay {
  readonly ours: number;
  readonly theirs: number;
  private master = -1;
  private restore?: () => void;
  private onWinch?: () => void;

  constructor() {
    [this.ours, this.theirs] = socketpair();
    setFdFlags(this.ours, { cloexec: true });
  }

  /** After the init is ready: take the master and start copying. */
  attach(): void {
    close(this.theirs);
    const got = recvFds(this.ours, { nonblocking: true });
    if (!got || got.fds.length === 0) throw new RuntimeError('SYSTEM', 'the container init did not send a pty master');
    this.master = got.fds[0];
    close(this.ours);
    const out = new tty.ReadStream(this.master);
    out.on('data', (b: Buffer) => process.stdout.write(b));
    out.on('error', () => undefined); // EIO once the last slave fd closes: the container ended
    if (process.stdin.isTTY) {
      process.stdin.setRawMode(true);
      this.restore = () => process.stdin.setRawMode(false);
      this.onWinch = () => this.resize();
      process.stdout.on('resize', this.onWinch);
      this.resize();
    }
    process.stdin.on('data', (b: Buffer) => {
      try {
        fs.writeSync(this.master, b);
      } catch {
        // the container is gone
      }
    });
    process.stdin.resume();
  }

  private resize(): void {
    if (this.master >= 0 && process.stdout.columns) setWinsize(this.master, process.stdout.rows, process.stdout.columns);
  }

  close(): void {
    this.restore?.();
    if (this.onWinch) process.stdout.off('resize', this.onWinch);
    process.stdin.pause();
    process.stdin.unref?.();
  }
}
