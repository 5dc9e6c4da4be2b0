// @strata/runtime: strata-runtime as a library (the shim may call it in-process) and the
// lifecycle table shared with spec-tests and the diagrams.
export * as operations from './operations';
export * from './lifecycle';
export { RuntimeError, type RuntimeErrorCode } from './errors';
export { buildCreatePlan } from './plan/createPlan';
export { buildExecPlan } from './plan/execPlan';
