// The containerd-shim-strata-v2 executable (bundled, split per action, by scripts/build.mjs).
import { main } from './main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // The daemon's handles (timers, sockets) stay open until Shutdown; once main returns, leave.
    // `start` must leave through process.exit() too: it holds the listening socket the daemon
    // inherited, and a natural exit would close it and so unlink the socket file.
    setImmediate(() => process.exit(code));
  },
  (e) => {
    process.stderr.write(`containerd-shim-strata-v2: internal error: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
