// The strata CLI's own version facts (shown by `strata version` in the Client section).
export const CLI_VERSION = '0.1.0';
export const CLI_NAME = 'strata';
