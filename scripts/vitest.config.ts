import { defineConfig } from 'vitest/config';

// One config for the whole workspace (kept under scripts/ so the top level stays as the brief lists).
// Unit tests: *.test.ts (pure logic, no root needed). Integration tests: *.int.test.ts (root, real
// kernel, real peers such as runc and crun); they run one file at a time because they share the
// host's cgroups and mount table and because the machine has 2 cores.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['layers/*/test/**/*.test.ts', 'spec-tests/test/**/*.test.ts', 'scripts/test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['layers/*/test/**/*.int.test.ts', 'spec-tests/test/**/*.int.test.ts', 'tutorials/labs/test/**/*.int.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
