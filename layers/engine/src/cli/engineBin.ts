// The strata-engine binary (dist/strata-engine.mjs).
import { main } from '../daemon';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`strata-engine: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
