// Where containerd-shim-strata-v2 sits in the stack (drawn in diagrams/architecture.mmd):
// containerd (or strata-manager) runs it and calls its Task API over ttrpc; it drives any OCI
// runtime through runc's command line, so it can replace containerd-shim-runc-v2.
import { PROTOCOLS, type LayerProtocols } from '@strata/linux/trace';

export const protocols: LayerProtocols = {
  binaries: ['containerd-shim-strata-v2'],
  role: 'shim',
  swapsWith: ['containerd-shim-runc-v2'],
  serves: { protocol: PROTOCOLS.taskApi, realCallers: ['containerd'] },
  uses: [{ protocol: PROTOCOLS.runcCli }],
};
