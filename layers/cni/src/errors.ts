// CNI errors. A plugin that fails exits non-zero and prints {"cniVersion","code","msg","details"}
// on stdout (SPEC.md "Error"). Codes 1-99 are reserved by the spec:
//   1 incompatible CNI version, 2 unsupported field, 3 container unknown/does not exist,
//   4 invalid environment variables, 5 I/O failure, 6 failed to decode content,
//   7 invalid network config, 11 try again later.
// Codes >= 100 are plugin specific. Strata uses code 0 for errors found before any plugin ran
// (bad configuration, missing binary) and names the plugin or the field in the message.
export class CniError extends Error {
  constructor(
    /** The CNI error code (see above); 0 when the runtime itself rejected the request. */
    readonly code: number,
    /** The plugin `type` that failed, or '' when the error is about the configuration as a whole. */
    readonly plugin: string,
    message: string,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'CniError';
  }
}

export const CNI_ERROR_CODES: Record<number, string> = {
  1: 'incompatible CNI version',
  2: 'unsupported field in network configuration',
  3: 'container unknown or does not exist',
  4: 'invalid necessary environment variables',
  5: 'I/O failure',
  6: 'failed to decode content',
  7: 'invalid network config',
  11: 'try again later',
};

/** A config error found by Strata before exec'ing anything: names the field like a JSON pointer. */
export const configError = (plugin: string, field: string, msg: string) => new CniError(7, plugin, `network config ${field}: ${msg}`);
