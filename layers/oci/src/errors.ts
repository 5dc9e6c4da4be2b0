// The typed errors of @strata/oci.
export interface ValidationIssue {
  /** JSON pointer (RFC 6901) of the offending value, e.g. /linux/resources/memory/limit. */
  pointer: string;
  /** The rule that failed: a JSON Schema keyword (type, enum, pattern...) or a semantic rule name. */
  rule: string;
  message: string;
}

export type OciErrorCode = 'ENOENT' | 'READ' | 'INVALID_JSON' | 'INVALID_CONFIG';

export class OciError extends Error {
  constructor(
    readonly code: OciErrorCode,
    message: string,
    readonly pointer?: string,
    readonly issues: ValidationIssue[] = [],
  ) {
    super(message);
    this.name = 'OciError';
  }
}

/** `config.json /linux/resources/memory/limit: must be integer (got "64M")` */
export function formatIssue(i: ValidationIssue, file = 'config.json'): string {
  return `${file} ${i.pointer || '/'}: ${i.message}`;
}
