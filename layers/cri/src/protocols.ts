// Where strata-cri sits in the stack (drawn in diagrams/architecture.mmd): it serves the CRI v1
// gRPC API to the kubelet's side (crictl, critest, strata-crictl) and does the work through the
// containerd gRPC API of a manager (strata-manager or real containerd), plus the CNI plugins for
// pod networking. containerd's CRI plugin and CRI-O serve the same API, so either can take its
// place, and strata-crictl works against them.
import { PROTOCOLS, type LayerProtocols } from '@strata/linux/trace';

export const protocols: LayerProtocols = {
  binaries: ['strata-cri', 'strata-crictl'],
  role: 'Kubernetes container runtime (CRI)',
  swapsWith: ["containerd's CRI plugin", 'CRI-O'],
  serves: { protocol: PROTOCOLS.cri, realCallers: ['kubelet', 'crictl', 'critest'] },
  uses: [{ protocol: PROTOCOLS.containerdApi }],
};
