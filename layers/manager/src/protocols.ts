// Where strata-manager sits in the stack (drawn in diagrams/architecture.mmd): it serves
// containerd's gRPC API to clients (ctr, strata-ctr, later the CRI and engine layers) and runs
// tasks through shims over the ttrpc Task API, so containerd can take its place and it can take
// containerd's.
import { PROTOCOLS, type LayerProtocols } from '@strata/linux/trace';

export const protocols: LayerProtocols = {
  binaries: ['strata-manager', 'strata-ctr'],
  role: 'container manager',
  swapsWith: ['containerd'],
  serves: { protocol: PROTOCOLS.containerdApi, realCallers: ['ctr', 'nerdctl', 'dockerd'] },
  uses: [{ protocol: PROTOCOLS.taskApi }],
};
