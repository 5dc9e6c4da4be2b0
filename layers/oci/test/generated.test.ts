// The committed precompiled validators must match the schemas (regenerated in memory).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('generated validators', () => {
  it('are up to date with src/schemas (run node layers/oci/scripts/gen-validators.mjs)', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const { generate } = await import(path.join(here, '../scripts/gen-validators.mjs'));
    const committed = fs.readFileSync(path.join(here, '../src/generated/validators.js'), 'utf8');
    expect(committed === generate()).toBe(true);
  });
});
