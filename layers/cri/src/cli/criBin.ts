// strata-cri's entry point (bundled to dist/strata-cri.mjs).
import { main } from '../daemon';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`strata-cri: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
