// The strata binary (dist/strata.mjs): run the command, flush stdout/stderr, exit with its status.
import { main } from './main';

const flush = (s: NodeJS.WriteStream) => new Promise<void>((r) => (s.writableLength ? s.write('', () => r()) : r()));

// A closed pipe (`strata events | head`) ends the command quietly, as docker does.
for (const s of [process.stdout, process.stderr]) s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? process.exit(0) : undefined));

main(process.argv.slice(2)).then(
  async (code) => {
    await Promise.all([flush(process.stdout), flush(process.stderr)]);
    process.exit(code);
  },
  (e) => {
    process.stderr.write(`strata: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
