// The strata-runtime executable (bundled by scripts/build.mjs into dist/strata-runtime.mjs).
import { main } from './main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`strata-runtime: internal error: ${(e as Error)?.stack ?? e}\n`);
    process.exitCode = 1;
  },
);
