// Where strata-spec-tests sits (drawn in diagrams/architecture.mmd): a caller of any OCI runtime
// through runc's command line, like runtime-tools' validation suite it mirrors.
import { PROTOCOLS, type LayerProtocols } from '@strata/linux/trace';

export const protocols: LayerProtocols = {
  binaries: ['strata-spec-tests'],
  role: 'conformance tests',
  swapsWith: ['runtime-tools validation'],
  uses: [{ protocol: PROTOCOLS.runcCli }],
};
