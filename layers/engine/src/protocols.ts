// Where strata-engine sits in the stack (drawn in diagrams/architecture.mmd): it serves the Docker
// Engine API to the docker CLI (and to `strata`) and runs containers through the containerd API
// of strata-manager, so dockerd can take its place and it can sit on real containerd.
import { PROTOCOLS, type LayerProtocols } from '@strata/linux/trace';

export const protocols: LayerProtocols = {
  binaries: ['strata-engine', 'strata'],
  role: 'container engine (Docker Engine API)',
  swapsWith: ['dockerd'],
  serves: { protocol: PROTOCOLS.dockerApi, realCallers: ['docker', 'docker compose'] },
  uses: [{ protocol: PROTOCOLS.containerdApi }],
};
