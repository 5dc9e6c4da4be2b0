// The containerd-shim-strata-v2 executable (bundled by scripts/build.mjs).
import { main } from './main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // The daemon holds handles (timers, sockets) until Shutdown; after main returns we are done.
    if (code !== 0 || process.argv.includes('start') || process.argv.includes('delete')) return;
    setImmediate(() => process.exit(code));
  },
  (e) => {
    process.stderr.write(`containerd-shim-strata-v2: internal error: ${(e as Error)?.stack ?? e}\n`);
    process.exitCode = 1;
  },
);
