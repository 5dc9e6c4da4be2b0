// Where is strata-init? Next to the bundled strata-runtime (dist/), or built by the setup script
// into layers/linux/dist/; STRATA_INIT overrides both (tests, packagers).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeError } from './errors';

let cached: string | undefined;

export function initHelperPath(): string {
  if (cached) return cached;
  const here = path.dirname(fs.realpathSync(fileURLToPath(import.meta.url)));
  const candidates = [
    process.env.STRATA_INIT,
    path.join(here, 'strata-init'),
    path.resolve(here, '../../linux/dist/strata-init'),
    path.resolve(here, '../../../linux/dist/strata-init'),
  ].filter((x): x is string => !!x);
  for (const c of candidates) {
    if (fs.existsSync(c)) return (cached = c);
  }
  throw new RuntimeError('SYSTEM', `strata-init helper not found (looked in ${candidates.join(', ')}); run "npm run build"`);
}
