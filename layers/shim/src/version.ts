// Names and defaults shared by the CLI and the service, in a module with no dependencies.
export const SHIM_VERSION = '0.1.0';
/** The engine when containerd's options name none: strata-runtime, found beside the shim or on PATH. */
export const DEFAULT_RUNTIME = 'strata-runtime';
/** runc's state root under containerd (--root <this>/<namespace>), as the runc shim uses it. */
export const DEFAULT_RUNTIME_ROOT = '/run/containerd/runc';
