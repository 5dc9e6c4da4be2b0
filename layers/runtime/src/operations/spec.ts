// runc spec: write a starting config.json into the bundle.
import fs from 'node:fs';
import path from 'node:path';
import { defaultSpec } from '@strata/oci';
import { RuntimeError } from '../errors';

export function spec(o: { bundle: string; rootless: boolean }): void {
  const file = path.join(o.bundle, 'config.json');
  if (fs.existsSync(file)) throw new RuntimeError('EXISTS', 'File config.json exists. Remove it first.');
  fs.mkdirSync(o.bundle, { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(defaultSpec({ rootless: o.rootless }), null, '\t')}\n`, { mode: 0o666 });
}
