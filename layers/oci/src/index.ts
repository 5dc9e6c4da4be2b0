// @strata/oci: the OCI runtime specification as code — types, JSON Schemas (precompiled), and
// validation with JSON-pointer errors.
export type * from './runtime-spec/types';
export { validateSpec, validateState, validateFeatures, parseSpecFile } from './runtime-spec/validate';
export { applyRuncLeniency } from './runtime-spec/compat';
export { semanticIssues } from './runtime-spec/semantic';
export { defaultSpec } from './runtime-spec/defaultSpec';
export { OciError, formatIssue, type ValidationIssue, type OciErrorCode } from './errors';
export { get as getPointer } from './pointer';
