// Where strata-runtime sits in the stack (drawn in diagrams/architecture.mmd): it serves runc's
// command line to the shims above it and speaks syscalls to the kernel, so runc or crun can take
// its place under any caller, and it can take theirs.
import { PROTOCOLS, type LayerProtocols } from '@strata/linux/trace';

export const protocols: LayerProtocols = {
  binaries: ['strata-runtime'],
  role: 'OCI runtime',
  swapsWith: ['runc', 'crun'],
  serves: { protocol: PROTOCOLS.runcCli, realCallers: ['containerd-shim-runc-v2', 'podman + conmon'] },
  uses: [{ protocol: PROTOCOLS.syscalls, realServers: ['Linux kernel'] }],
};
