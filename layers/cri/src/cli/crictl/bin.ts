// strata-crictl's entry point (bundled to dist/strata-crictl.mjs).
import { main } from './main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Let stdout drain; a follow or stream may hold handles, so exit once output is flushed.
    process.stdout.write('', () => process.exit(code));
  },
  (e) => {
    process.stderr.write(`strata-crictl: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
