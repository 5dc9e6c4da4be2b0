// Entry point bundled to dist/strata-spec-tests.mjs.
import { main } from './main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`strata-spec-tests: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 2;
  },
);
