// The property test as a conformance test (see property/lifecycleProperty.ts).
import { defineTests, specUrl } from '../framework/testCase';
import { runLifecycleProperty, SPEC_OPS, RUNC_OPS } from '../property/lifecycleProperty';

export const lifecyclePropertyTests = defineTests([
  {
    id: 'property.lifecycle',
    title: 'random operation sequences follow the lifecycle table; errors leave the state unchanged',
    section: specUrl('runtime', 'errors'),
    level: 'MUST',
    timeoutMs: 150_000,
    run: (ctx) => runLifecycleProperty(ctx, SPEC_OPS),
  },
  {
    id: 'property.lifecycle-runc-cli',
    title: 'the same with the runc CLI operations pause, resume and delete --force',
    section: specUrl('runtime', 'errors'),
    // pause/resume/--force are not runtime.md operations: compatibility with runc callers.
    level: 'SHOULD',
    timeoutMs: 150_000,
    run: (ctx) => runLifecycleProperty(ctx, RUNC_OPS),
  },
]);
