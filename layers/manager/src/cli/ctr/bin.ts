import { main } from './main';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`strata-ctr: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
